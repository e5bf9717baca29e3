"""Part "prospecting" of the telecentres network (see urls.PARTS)."""

from __future__ import annotations

urlpatterns: list = []
