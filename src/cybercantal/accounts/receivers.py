"""The one signal receiver of the platform: staff sign-ins go to the journal.

django-allauth sends ``user_logged_in`` once the whole sign-in is done (password and, if
the person has one, the TOTP code). The receiver only reads the request; the rule (who is
journalled) is ``services.staff_login_record``.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from cybercantal.core import journal

from . import services


@receiver(user_logged_in, dispatch_uid="cybercantal.accounts.staff_login")
def journal_staff_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    methods = []
    if request is not None and hasattr(request, "session"):
        methods = sorted({record.get("method", "") for record in get_authentication_records(request, user)})
    services.staff_login_record(
        user=user, methods=methods, ip_address=journal.client_ip(request) if request is not None else None
    )
