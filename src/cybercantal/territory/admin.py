"""Read-only admin for the reference geography: it is loaded by ``territory_import``.

Editing a row here would be undone by the next import; fix the source files instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Arrondissement, Canton, Commune, Departement, Epci, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(Departement)
class DepartementAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region", "data_version"]
    exclude = ["boundary"]


@admin.register(Arrondissement)
class ArrondissementAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "chef_lieu_code"]
    exclude = ["boundary"]


@admin.register(Epci)
class EpciAdmin(ReadOnlyAdmin):
    list_display = ["name", "siren", "kind", "population"]
    search_fields = ["name", "siren"]


@admin.register(Canton)
class CantonAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "code", "slug"]
    exclude = ["boundary"]


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["name", "insee_code", "kind", "parent", "population", "boundary_source"]
    list_filter = ["kind", "cantons", "epci"]
    search_fields = ["name", "insee_code", "search_text"]
    list_select_related = ["parent"]
    exclude = ["boundary", "search_text"]
