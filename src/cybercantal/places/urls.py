from django.urls import path

from . import views, views_lmn

app_name = "places"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("carte/", views.map_view, name="map"),
    path("couverture/", views.coverage, name="coverage"),
    path("mes-lieux/", views.my_places, name="mine"),
    path("nouveau/", views.place_create, name="create"),
    path("export/lmn.csv", views_lmn.export_csv, name="export_csv"),
    path("export/lmn.json", views_lmn.export_json, name="export_json"),
    path("import/", views_lmn.import_upload, name="import"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/modifier/", views.place_edit, name="edit"),
]
