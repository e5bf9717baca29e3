"""Part "gift" of the cartable électronique (to be written)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
