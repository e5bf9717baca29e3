"""Portal pages that belong to no programme: home, legal pages, health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Everyone: find a place; signed-in people also see their spaces by role."""
    return render(request, "core/home.html")


@login_not_required
@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    """Everyone."""
    return render(request, "core/legal.html")


@login_not_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """Everyone."""
    return render(request, "core/privacy.html")


@login_not_required
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """Everyone."""
    return render(request, "core/accessibility.html")


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Everyone (load balancers): 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return JsonResponse({"status": "erreur", "database": "indisponible"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
