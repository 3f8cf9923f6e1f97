from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("konto/varsler/", views.notice_settings, name="notice_settings"),
    path("varsler/<int:pk>/", views.notice_open, name="notice_open"),
]
