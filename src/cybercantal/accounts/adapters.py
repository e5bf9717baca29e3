"""django-allauth adapters: French, journalled staff sign-ins."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: Any) -> bool:
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)


class MfaAdapter(DefaultMFAAdapter):
    def get_totp_label(self, user: Any) -> str:
        return user.email
