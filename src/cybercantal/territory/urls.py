from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.index, name="index"),
    path("cantons/<slug:slug>/", views.canton_detail, name="canton"),
]
