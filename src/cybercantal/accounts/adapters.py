"""django-allauth adapters: sign-up switch, TOTP label, staff cannot switch TOTP off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext_lazy as _

from cybercantal.core.tasks import is_deliverable

from .queries import has_staff_role


@dataclass(frozen=True)
class PlatformSite:
    """What allauth's emails call ``current_site``: our name, not the bare host name."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Nothing goes to the placeholder address of a person without email (a pupil)."""
        if not is_deliverable(email):
            return
        super().send_mail(template_prefix, email, context)

    def render_mail(
        self, template_prefix: str, email: Any, context: dict[str, Any], headers: dict[str, str] | None = None
    ) -> EmailMessage:
        site = context.get("current_site")
        domain = getattr(site, "domain", "") or ""
        context = {**context, "current_site": PlatformSite(name=settings.PLATFORM_NAME, domain=domain)}
        return super().render_mail(template_prefix, email, context, headers)


class MfaAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Votre rôle impose la double authentification : vous ne pouvez pas la désactiver. "
            "Pour changer de téléphone, demandez à un administrateur de réinitialiser votre application."
        ),
    }

    def get_totp_label(self, user: Any) -> str:
        return user.email

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """People with a staff role keep their TOTP (the middleware would ask for it again)."""
        if authenticator.type == Authenticator.Type.TOTP and has_staff_role(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
