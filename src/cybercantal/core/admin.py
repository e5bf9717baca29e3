"""The journal in the back office: read-only, searchable, filterable.

No add, no change, no delete (not even the bulk "delete selected" action): the journal is
append-only at every level (model, queryset, database trigger, admin). Only people with
``core.view_journal`` (administrators, see ``accounts/permissions.py``) see it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_link", "action", "target_type", "target_repr", "ip_address"]
    list_filter = ["action", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["actor_repr", "action", "target_repr", "target_id", "=actor_id"]
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False  # counting a long journal is slow; paging does not need it
    actions = None
    fields = [
        "created_at",
        "actor_id",
        "actor_repr",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "data_pretty",
        "ip_address",
    ]
    readonly_fields = fields

    @admin.display(description=_("auteur"), ordering="actor_id")
    def actor_link(self, obj: JournalEntry) -> str:
        """The journal keeps only an id; the person's current record is one click away."""
        if obj.actor_id is None:
            return obj.actor_repr
        url = reverse(f"admin:{settings.AUTH_USER_MODEL.replace('.', '_').lower()}_change", args=[obj.actor_id])
        return format_html('<a href="{}">{}</a>', url, obj.actor_repr)

    @admin.display(description=_("détails"))
    def data_pretty(self, obj: JournalEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2, sort_keys=True))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("core.view_journal")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.view_journal")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
