"""The one signal receiver of the platform: staff sign-ins go to the journal.

django-allauth sends ``user_logged_in`` once the whole sign-in is done (password and, if
the person has one, the TOTP code). Only people with a staff role are journalled: the
journal is an audit trail of who could act on others' data, not a log of every visit.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from cybercantal.core import journal

from .queries import forget_cached_roles, has_staff_role


@receiver(user_logged_in, dispatch_uid="cybercantal.accounts.staff_login")
def journal_staff_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    forget_cached_roles(user)
    if not has_staff_role(user):
        return
    methods = []
    if request is not None and hasattr(request, "session"):
        methods = sorted({record.get("method", "") for record in get_authentication_records(request, user)})
    journal.record(
        actor=user,
        action="auth.staff_login",
        target=user,
        data={"methods": methods},
        ip_address=journal.client_ip(request) if request is not None else None,
    )
