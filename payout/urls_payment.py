"""URLs of the payout (docs/payments.md, «Betalingsfil og bilag»): the month's payment file and voucher."""

from django.urls import path

from payout import payment_views

M = "utbetalinger/<str:kommunenummer>/<str:month>/"
urlpatterns = [
    path(M + "betalingsfil/", payment_views.payment_file_create, name="payment_file_create"),
    path(M + "betalingsfil.xml", payment_views.payment_file_download, name="payment_file_download"),
    path(M + "regnskapsbilag.csv", payment_views.voucher_download, name="voucher_download"),
]
