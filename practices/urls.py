from django.urls import path

from . import import_views, population_views, views

app_name = "practices"
urlpatterns = [
    path("lister/", views.list_index, name="list_index"),
    path("lister/ny/", views.list_edit, name="list_create"),
    path("lister/<int:pk>/", views.list_detail, name="list_detail"),
    path("lister/<int:pk>/endre/", views.list_edit, name="list_edit"),
    path("legekontor/", views.practice_index, name="practice_index"),
    path("legekontor/nytt/", views.practice_edit, name="practice_create"),
    path("legekontor/<int:pk>/", views.practice_detail, name="practice_detail"),
    path("legekontor/<int:pk>/endre/", views.practice_edit, name="practice_edit"),
    path("leger/<int:pk>/", views.doctor_detail, name="doctor_detail"),
    path("leger/<int:pk>/endre/", views.doctor_edit, name="doctor_edit"),
    path("innbyggertall/", population_views.population, name="population"),
    path("import/", import_views.import_index, name="import_index"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/bekreft/", import_views.import_confirm_view, name="import_confirm"),
    path("import/<int:pk>/fremdrift/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/beregning/", import_views.import_recompute, name="import_recompute"),
    path("import/<int:pk>/fil/", import_views.import_download, name="import_download"),
]
