from django.urls import path

from . import views

app_name = "alis"
urlpatterns = [
    path("alis/", views.agreement_index, name="agreement_index"),
    path("alis/oversikt/", views.overview, name="overview"),
    path("alis/ny/", views.agreement_edit, name="agreement_create"),
    path("alis/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("alis/<int:pk>/endre/", views.agreement_edit, name="agreement_edit"),
    path("alis/<int:pk>/vedtak/<int:event_pk>/pdf/", views.agreement_letter_pdf, name="agreement_letter_pdf"),
    path("alis/<int:pk>/handling/<str:action>/", views.agreement_action, name="agreement_action"),
    path("alis/<int:pk>/veileder/", views.supervisor_change, name="supervisor_change"),
    path("alis/<int:pk>/veiledning/", views.session_add, name="session_add"),
    path("alis/<int:pk>/veiledning/<int:session_pk>/endre/", views.session_edit, name="session_edit"),
    path("alis/<int:pk>/veiledning/<int:session_pk>/slett/", views.session_delete, name="session_delete"),
    path("alis/import/", views.import_index, name="import_index"),
    path("alis/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("alis/import/<int:pk>/bekreft/", views.import_confirm, name="import_confirm"),
]
