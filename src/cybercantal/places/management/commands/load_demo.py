"""``cybercantal load_demo``: a realistic Cantal to try the platform with (idempotent).

It loads the reference geography if it is missing, the demo places, one demo account per
role (the staff ones scoped to demo places), then the demo data of each programme app (an
app above places exposes ``demo.load_demo() -> dict[str, int]``; they run in the order of
INSTALLED_APPS, each in its own transaction) and prints how to sign in. Running it again
creates nothing new and loses nothing.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from cybercantal.accounts.demo import DEMO_PASSWORD, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind
from cybercantal.territory.models import Commune


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et affiche les comptes de démonstration."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="N'affiche pas les comptes.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Commune.objects.exists():
            call_command("territory_import", verbosity=0)
        with transaction.atomic():
            load_demo_places()
            scopes = self._scopes()
            accounts = load_demo_accounts(scopes=scopes)
        for label, loader in self._programme_loaders():
            with transaction.atomic():
                counts = loader()
            figures = ", ".join(f"{name} {count}" for name, count in counts.items())
            self.stdout.write(f"  {label} : {figures}")
        places = Place.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Données de démonstration prêtes : {places} lieux."))
        if options["quiet_accounts"]:
            return
        self.stdout.write("")
        self.stdout.write(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD})")
        self.stdout.write("Les rôles d'équipe demandent aussi un code TOTP : `cybercantal demo_totp <adresse>`")
        self.stdout.write("ou une application d'authentification avec la clé indiquée.")
        width = max(len(str(label)) for label, *_ in accounts)
        for label, email, _password, totp_secret in accounts:
            line = f"  {label!s:<{width}}  {email}"
            if totp_secret:
                line += f"  (clé TOTP {totp_secret})"
            self.stdout.write(line)

    @staticmethod
    def _programme_loaders() -> list[tuple[str, Any]]:
        """``load_demo`` of each programme app's ``demo`` package, in INSTALLED_APPS order."""
        loaders = []
        for config in apps.get_app_configs():
            foundation = config.label in {"core", "territory", "accounts", "places"}
            if foundation or not config.name.startswith("cybercantal."):
                continue
            if not module_has_submodule(config.module, "demo"):
                continue
            module = import_module(f"{config.name}.demo")
            if hasattr(module, "load_demo"):
                loaders.append((str(config.verbose_name), module.load_demo))
        return loaders

    @staticmethod
    def _scopes() -> dict[str, Any]:
        """Scoped staff roles get a demo place of the matching kind."""

        def first(**filters: Any) -> Place | None:
            return Place.objects.filter(**filters).order_by("slug").first()

        scopes = {
            # The acceptance journey of the EPN network happens at Ydes.
            Role.MEDIATOR: first(kind=PlaceKind.EPN, commune__name="Ydes") or first(kind=PlaceKind.EPN),
            # The acceptance journey of the kiosks happens at Murat.
            Role.KIOSK_AGENT: first(offers__has="kiosk", commune__name="Murat") or first(offers__has="kiosk"),
            # The acceptance journey of the telecentres happens at Murat.
            Role.TELECENTRE_MANAGER: first(kind=PlaceKind.TELECENTRE, commune__name="Murat")
            or first(kind=PlaceKind.TELECENTRE),
        }
        return {role: place for role, place in scopes.items() if place is not None}
