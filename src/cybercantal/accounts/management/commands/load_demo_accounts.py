"""Create the demo accounts (one per role) and print how to sign in with them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cybercantal.accounts.demo import load_demo_accounts


class Command(BaseCommand):
    help = "Crée (ou remet en état) un compte de démonstration par rôle et affiche leurs identifiants."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = load_demo_accounts()
        width = max(len(label) for label, *_rest in rows)
        for label, email, password, secret in rows:
            totp = f"  TOTP : {secret}" if secret else ""
            self.stdout.write(f"{label:<{width}}  {email:<42} {password}{totp}")
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} comptes de démonstration prêts."))
