"""URLs of the telecentres network, under ``/telecentres/``. Each part declares its own
``urlpatterns`` in its views module; they share the ``telework`` namespace."""

from django.urls import include, path

app_name = "telework"

# "network" comes last: its ``<slug>/`` page would otherwise catch the fixed one-segment
# paths of the other parts (``mon-espace/``, ``mes-reservations/``...).
PARTS = [
    "plans",  # formules, adhésion, mon espace, solde de crédits, profil
    "agreements",  # conventions employeur, espace employeur, rejoindre une convention
    "booking",  # disponibilités (jour, semaine), réserver, mes réservations, planning du jour
    "series",  # réservations récurrentes (RRULE), liste d'attente
    "checkin",  # affiche QR, pointage à l'arrivée, calendrier iCal du membre
    "billing",  # factures, avoirs, PDF, export comptable
    "occupancy",  # occupation et impact
    "prospecting",  # prospection des entreprises
    "network",  # /telecentres/ (public list, detail), /telecentres/gestion/...: rules, resources, closures
]

urlpatterns = [path("", include(f"cybercantal.telework.views.{part}")) for part in PARTS]
