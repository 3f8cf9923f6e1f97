"""The payout's pages: payees and the municipality's account, the month's payment file and voucher, the yearly
statement (docs/payments.md, «Betaling og bilag»)."""

from payout import urls_payees, urls_payment, urls_statement

app_name = "payout"
urlpatterns = [*urls_payees.urlpatterns, *urls_payment.urlpatterns, *urls_statement.urlpatterns]
