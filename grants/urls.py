from django.urls import path

from . import views

app_name = "grants"
M = "utbetalinger/<str:kommunenummer>/<str:month>/"
urlpatterns = [
    path("utbetalinger/", views.payments_index, name="payments_index"),
    path("utbetalinger/kjoring/<int:pk>/", views.run_progress, name="run_progress"),
    path(M, views.payment_month, name="payment_month"),
    path(M + "beregn/", views.recompute, name="recompute"),
    path(M + "attester/", views.attest, name="attest"),
    path(M + "anvis/", views.authorise, name="authorise"),
    path(M + "gjenapne/", views.reopen, name="reopen"),
    path(M + "linjer.<str:fmt>", views.export_lines, name="export_lines"),
    path(M + "utbetalingsfil.<str:fmt>", views.export_payout, name="export_payout"),
    path(M + "lege/<str:hpr>/", views.statement, name="statement"),
    path("satser/", views.rates, name="rates"),
]
