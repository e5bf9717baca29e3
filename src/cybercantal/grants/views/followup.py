"""followup part of the grants programme (issue 7)."""

from __future__ import annotations

urlpatterns: list = []
