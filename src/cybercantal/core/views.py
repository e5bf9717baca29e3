"""Portal pages that belong to no programme: home, legal pages, health check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def operator_details() -> dict[str, Any]:
    """Who publishes and who hosts the platform, as the operator set it (settings/environment).

    Empty values stay empty: the pages show "à compléter" rather than invented facts.
    """
    return {
        "publisher": {
            "name": settings.CYBERCANTAL_PUBLISHER,
            "address": settings.CYBERCANTAL_PUBLISHER_ADDRESS,
            "phone": settings.CYBERCANTAL_PUBLISHER_PHONE,
            "email": settings.CYBERCANTAL_PUBLISHER_EMAIL,
            "director": settings.CYBERCANTAL_PUBLICATION_DIRECTOR,
        },
        "host": {
            "name": settings.CYBERCANTAL_HOST_NAME,
            "address": settings.CYBERCANTAL_HOST_ADDRESS,
            "phone": settings.CYBERCANTAL_HOST_PHONE,
        },
        "dpo_email": settings.CYBERCANTAL_DPO_EMAIL,
        "accessibility_contact": settings.CYBERCANTAL_ACCESSIBILITY_CONTACT or settings.CYBERCANTAL_PUBLISHER_EMAIL,
        "accessibility_date": settings.CYBERCANTAL_ACCESSIBILITY_DATE,
    }


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Everyone: find a place; signed-in people also see their spaces by role."""
    return render(request, "core/home.html")


@login_not_required
@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    """Everyone: the legal notice (publisher, director of publication, host)."""
    return render(request, "core/legal.html", operator_details())


@login_not_required
@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """Everyone: what personal data is kept, why, how long, and how to use one's rights."""
    context = operator_details()
    context.update(
        session_days=settings.SESSION_COOKIE_AGE // 86400,
        task_result_days=settings.TASK_RESULT_RETENTION_DAYS,
        task_failed_days=settings.TASK_FAILED_RESULT_RETENTION_DAYS,
    )
    return render(request, "core/privacy.html", context)


@login_not_required
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """Everyone: the RGAA 4.1 accessibility statement."""
    context = operator_details()
    context["site_url"] = request.build_absolute_uri("/")
    return render(request, "core/accessibility.html", context)


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
