"""URLs of the EPN network. Public workshop pages live under ``/ateliers/``; the mediators'
and programme team's workspace under ``/mediation/``. Each part of the app declares its own
``urlpatterns`` in its views module; they share the ``mediation`` namespace."""

from django.urls import include, path

app_name = "mediation"

PARTS = [
    "workshops_public",  # /ateliers/: calendar, registration, cancellation link, iCal
    "workshops_manage",  # /mediation/: workspace home, catalogue, sessions, attendance
    "accompaniments",  # /mediation/accompagnements/: CRA, followed beneficiaries
    "equipment",  # /mediation/equipements/: inventory, import, renewal forecast
    "mediators",  # /mediation/mediateurs/, aids, labels
    "free_access",  # /ateliers/postes/ and /mediation/acces-libre/
    "statistics",  # /mediation/statistiques/
]

urlpatterns = [path("", include(f"cybercantal.mediation.views.{part}")) for part in PARTS]
