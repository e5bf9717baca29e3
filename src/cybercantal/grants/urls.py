"""URLs of the grants programme, under ``/aides/``. Each part declares its own
``urlpatterns`` in its views module; they share the ``grants`` namespace."""

from django.urls import include, path

app_name = "grants"

PARTS = [
    "programmes",  # /aides/, /aides/<slug>/ (public), /aides/dispositifs/ (programme team)
    "coverage",  # /aides/eligibilite/ (public), /aides/couverture/ (imports)
    "applying",  # /aides/<slug>/demander/, /aides/dossiers/<ref>/modifier/...: the form in steps
    "dossier",  # /aides/mes-dossiers/, /aides/dossiers/<ref>/: follow-up, messages, documents
    "instruction",  # /aides/instruction/: queue, review, decision, letter
    "payment",  # invoices, payment, export for the accountant
    "followup",  # /aides/tableau-de-bord/
]

urlpatterns = [path("", include(f"cybercantal.grants.views.{part}")) for part in PARTS]
