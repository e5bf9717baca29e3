"""Print the current TOTP code of a demo account (its secret is public, see accounts/demo.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.accounts.demo import DEMO_DOMAIN, current_totp_code


class Command(BaseCommand):
    help = "Affiche le code à 6 chiffres du moment pour un compte de démonstration (ex. mediateur@demo.cybercantal.fr)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="adresse d'un compte de démonstration")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import decrypt

        email = email.strip().lower()
        if not email.endswith(f"@{DEMO_DOMAIN}"):
            # Real accounts keep their secret: this tool only serves the public demo accounts.
            raise CommandError(f"Seuls les comptes de démonstration (@{DEMO_DOMAIN}) sont acceptés.")
        authenticator = Authenticator.objects.filter(user__email__iexact=email, type=Authenticator.Type.TOTP).first()
        if authenticator is None:
            raise CommandError(
                f"{email} n'a pas de double authentification (compte inconnu ou rôle sans TOTP). "
                "Chargez les comptes de démonstration d'abord."
            )
        self.stdout.write(current_totp_code(decrypt(authenticator.data["secret"])))
