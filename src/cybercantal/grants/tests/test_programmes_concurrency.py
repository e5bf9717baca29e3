"""On PostgreSQL, with real threads and connections: the programme team lowers the budget while
an instructor accepts a dossier. The acceptance holds the programme's row lock (as
``services.instruction`` does); the budget change waits for it, then sees the new committed
amount and is refused. Without the lock it would have read the old figures."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from cybercantal.core.db import lock_for_update

from ..models import Application, GrantProgramme, Status
from ..services import programmes as services
from .factories import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_lowering_the_budget_waits_for_an_acceptance_and_is_refused(programme, manager):
    dossier = ApplicationFactory(programme=programme, status=Status.UNDER_REVIEW, computed_aid=Decimal("12000"))
    locked = threading.Event()
    results: dict[str, str] = {}

    def accept() -> None:
        try:
            with transaction.atomic():
                lock_for_update(GrantProgramme.objects.filter(pk=programme.pk)).get()
                locked.set()
                time.sleep(0.5)  # the budget change arrives meanwhile
                Application.objects.filter(pk=dossier.pk).update(
                    status=Status.ACCEPTED, decided_amount=Decimal("12000")
                )
            results["accept"] = "ok"
        finally:
            connection.close()

    def lower() -> None:
        try:
            locked.wait(5)
            started = time.monotonic()
            try:
                services.programme_update(
                    actor=manager, programme=GrantProgramme.objects.get(pk=programme.pk), budget=Decimal("10000")
                )
            except ValidationError as exc:
                results["lower"] = " ".join(exc.messages)
            else:
                results["lower"] = "saved"
            results["waited"] = "yes" if time.monotonic() - started > 0.3 else "no"
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=lower)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["accept"] == "ok"
    assert results["waited"] == "yes"
    assert "ne peut pas être inférieure aux 12\u202f000,00\u00a0€ déjà engagés" in results["lower"]
    programme.refresh_from_db()
    assert programme.budget == Decimal("100000.00")
