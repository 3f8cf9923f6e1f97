"""URLs of the payout (docs/payments.md, «Betaling og bilag»): statement."""

urlpatterns = []
