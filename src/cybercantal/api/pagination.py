"""Page-number pagination shared by every router: ``?page=2&size=20``.

Usage in a router::

    @router.get("/things", response=Page[ThingOut])
    def things(request, paging: Query[PageParams]):
        return paginate(request, Thing.objects.order_by("name"), paging)

The answer is ``{"count", "next", "previous", "results"}``; ``next``/``previous`` are
absolute URLs with the same query string (or null). A page past the end is a 404 with the
structured error body; ``size`` above ``MAX_PAGE_SIZE`` is a 422.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema

from .errors import ApiError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


class PageParams(Schema):
    page: int = Field(1, ge=1, description="Numéro de la page, à partir de 1.")
    size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Éléments par page (au plus {MAX_PAGE_SIZE})."
    )


class Page(Schema, Generic[T]):
    count: int = Field(..., description="Nombre total d'éléments.")
    next: str | None = Field(None, description="Adresse de la page suivante, ou null.")
    previous: str | None = Field(None, description="Adresse de la page précédente, ou null.")
    results: list[T]


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(
    request: HttpRequest,
    items: QuerySet | Sequence[Any],
    params: PageParams,
    transform: Callable[[Any], Any] | None = None,
) -> dict[str, Any]:
    """One page of ``items`` (a queryset is counted and sliced in SQL: two queries)."""
    count = items.count() if isinstance(items, QuerySet) else len(items)
    last = max(1, -(-count // params.size))
    if params.page > last:
        raise ApiError(
            status=404,
            code="page_not_found",
            message=_("Cette page n'existe pas : la dernière est la page %(last)s.") % {"last": last},
            field="page",
        )
    start = (params.page - 1) * params.size
    results = list(items[start : start + params.size])
    if transform is not None:
        results = [transform(item) for item in results]
    return {
        "count": count,
        "next": _page_url(request, params.page + 1) if params.page < last else None,
        "previous": _page_url(request, params.page - 1) if params.page > 1 else None,
        "results": results,
    }
