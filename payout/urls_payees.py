"""URLs of the payout (docs/payments.md, «Utbetalingsmottakere»): payees and the municipality's settings."""

from django.urls import path

from payout import payee_views

urlpatterns = [
    path("utbetalingsmottakere/", payee_views.payee_index, name="payee_index"),
    path("utbetalingsmottakere/ny/", payee_views.payee_create, name="payee_create"),
    path("utbetalingsmottakere/<int:pk>/", payee_views.payee_detail, name="payee_detail"),
    path("utbetalingsmottakere/<int:pk>/endre/", payee_views.payee_edit, name="payee_edit"),
    path("utbetalingsmottakere/<int:pk>/bekreft/", payee_views.payee_confirm, name="payee_confirm"),
    path("utbetalingsinnstillinger/", payee_views.settings, name="settings"),
]
