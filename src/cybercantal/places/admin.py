"""Back office for places. Writes go through the services so derived data stays right."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from cybercantal.core.fields import MultiChoiceField

from . import hours, services
from .forms import PlaceForm, place_formfield
from .models import Place


class PlaceAdminForm(PlaceForm):
    class Meta(PlaceForm.Meta):
        fields = ["slug", *PlaceForm.Meta.fields, "opening_hours", "date_maj", "lmn_id", "source"]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    form = PlaceAdminForm
    list_display = ("name", "kind", "commune", "canton", "status", "date_maj")
    list_filter = ("status", "kind", "canton")
    search_fields = ("name", "slug", "search_text", "lmn_id", "pivot")
    list_select_related = ("commune", "canton")
    raw_id_fields = ("organisation",)
    readonly_fields = ("canton", "weekly_slots", "search_text", "created_at", "updated_at")
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="créneaux hebdomadaires (calculés depuis les horaires)")
    def weekly_slots(self, obj: Place) -> str:
        days = hours.weekday_names()
        slots = obj.opening_slots.order_by("weekday", "opens") if obj.pk else []
        return " ; ".join(f"{days[s.weekday]} {hours.format_slots([(s.opens, s.closes)])}" for s in slots) or "—"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, MultiChoiceField):  # checkboxes of the enumeration, as on the site
            return place_formfield(db_field, **kwargs)
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        """Save through the services: canton, search text, slots and journal are kept right."""
        fields = {name: form.cleaned_data[name] for name in form.cleaned_data if name in services.EDITABLE_FIELDS}
        if change:
            saved = services.place_update(actor=request.user, place=Place.objects.get(pk=obj.pk), **fields)
        else:
            fields.pop("slug", None)
            saved = services.place_create(
                actor=request.user, slug=form.cleaned_data.get("slug", ""), allow_same_name=True, **fields
            )
        obj.pk = saved.pk
        obj.refresh_from_db()
