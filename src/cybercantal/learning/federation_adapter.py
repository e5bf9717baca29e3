"""The allauth social-account adapter used when a federation provider is configured
(``settings.py``, docs/ent-federation.md): a federated sign-in never creates an account —
pupils, parents and teachers are imported from the school's files first."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class FederationAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: Any, sociallogin: Any) -> bool:
        return False
