from django.urls import path

from . import views

app_name = "scenarios"
urlpatterns = [
    path("hva-om/", views.index, name="index"),
    path("hva-om/ny/", views.create, name="create"),
    path("hva-om/handlingsplanen/", views.report, name="report"),
    path("hva-om/kjoring/<int:pk>/", views.run_progress, name="run_progress"),
    path("hva-om/kjoring/<int:pk>/<str:table>.<str:fmt>", views.export, name="export"),
    path("hva-om/<int:pk>/", views.detail, name="detail"),
    path("hva-om/<int:pk>/endre/", views.edit, name="edit"),
    path("hva-om/<int:pk>/kopier/", views.copy, name="copy"),
    path("hva-om/<int:pk>/slett/", views.delete, name="delete"),
    path("hva-om/<int:pk>/beregn/", views.run, name="run"),
]
