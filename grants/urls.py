from django.urls import path

from . import case_views, views

app_name = "grants"
M = "utbetalinger/<str:kommunenummer>/<str:month>/"
urlpatterns = [
    path("utbetalinger/", views.payments_index, name="payments_index"),
    path("utbetalinger/kjoring/<int:pk>/", views.run_progress, name="run_progress"),
    path(M, views.payment_month, name="payment_month"),
    path(M + "beregn/", views.recompute, name="recompute"),
    path(M + "attester/", views.close_step, {"action": "attest"}, name="attest"),
    path(M + "anvis/", views.close_step, {"action": "authorise"}, name="authorise"),
    path(M + "gjenapne/", views.close_step, {"action": "reopen"}, name="reopen"),
    path(M + "linjer.<str:fmt>", views.export_lines, name="export_lines"),
    path(M + "utbetalingsfil.<str:fmt>", views.export_payout, name="export_payout"),
    path(M + "lege/<str:hpr>/", views.statement, name="statement"),
    path("satser/", views.rates, name="rates"),
    path("rapport/", views.report, name="report"),
    path("personvern/lege/<int:pk>/", views.personal_data, name="personal_data"),
    path("introduksjonsavtaler/tildeling/", case_views.allotment_create, name="allotment_create"),
]
for prefix, kind in (("grunntilskudd", "grunntilskudd"), ("introduksjonsavtaler", "introduksjon")):
    urlpatterns += [
        path(f"{prefix}/", case_views.case_index, {"kind": kind}, name=f"{kind}_index"),
        path(f"{prefix}/ny/", case_views.case_edit, {"kind": kind}, name=f"{kind}_create"),
        path(f"{prefix}/vilkar/", case_views.case_checks, {"kind": kind}, name=f"{kind}_checks"),
        path(f"{prefix}/<int:pk>/", case_views.case_detail, {"kind": kind}, name=f"{kind}_detail"),
        path(f"{prefix}/<int:pk>/endre/", case_views.case_edit, {"kind": kind}, name=f"{kind}_edit"),
        path(f"{prefix}/<int:pk>/vedtak/", case_views.case_letter, {"kind": kind}, name=f"{kind}_letter"),
        path(f"{prefix}/<int:pk>/vedtak/<int:event_pk>/pdf/", case_views.case_letter_pdf, {"kind": kind},
             name=f"{kind}_letter_pdf"),
        path(f"{prefix}/<int:pk>/<str:action>/", case_views.case_action, {"kind": kind}, name=f"{kind}_action"),
    ]
