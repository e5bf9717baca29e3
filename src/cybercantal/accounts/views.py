"""Pages of the person's own account: "Mes données" (see, download, ask for deletion).

Sign-in, sign-up, passwords and two-factor authentication are django-allauth's views,
drawn with our templates (``templates/account``, ``templates/mfa``, ``templates/allauth``).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.core.journal import client_ip

from . import personal_data, queries, services
from .forms import DeletionRequestForm


@never_cache
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Signed-in people: what the platform holds on them and why, download, deletion request."""
    user = request.user
    context = {
        "sections": personal_data.sections(),
        "memberships": queries.memberships_of(user),
        "deletion_deadline": services.deletion_deadline(user),
        "deletion_delay_days": services.DELETION_DELAY_DAYS,
        "form": DeletionRequestForm(user=user),
    }
    return render(request, "accounts/my_data.html", context)


@never_cache
@require_GET
def my_data_download(request: HttpRequest) -> HttpResponse:
    """Signed-in people: everything held on them, as a JSON file (journalled)."""
    data = services.personal_data_export(actor=request.user, ip_address=client_ip(request))
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    filename = f"mes-donnees-cybercantal-{timezone.localdate():%Y-%m-%d}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def deletion_request(request: HttpRequest) -> HttpResponse:
    """Signed-in people: ask for the deletion of their account (password + confirmation)."""
    user = request.user
    if request.method == "POST" and user.deletion_requested_at is None:
        form = DeletionRequestForm(request.POST, user=user, request=request)
        if form.is_valid():
            services.deletion_request(actor=user)
            messages.success(request, _("Votre demande de suppression est enregistrée."))
            return redirect("accounts:deletion_request")
    else:
        form = DeletionRequestForm(user=user)
    context = {
        "form": form,
        "deletion_deadline": services.deletion_deadline(user),
        "deletion_delay_days": services.DELETION_DELAY_DAYS,
    }
    return render(request, "accounts/deletion_request.html", context)
