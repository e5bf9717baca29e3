"""URLs of the kiosks programme. The kiosk mode is ``/borne/<code>/``, the public catalogue
``/demarches/``, the staff pages ``/bornes/...``. Each part declares its own ``urlpatterns``
in its views module; they share the ``kiosks`` namespace."""

from django.urls import include, path

app_name = "kiosks"

PARTS = [
    "fleet",  # /bornes/: fleet, coverage, monitoring dashboard, tokens, incidents
    "kiosk_mode",  # /borne/<code>/: the kiosk itself
    "catalogue",  # /demarches/: public catalogue, editing, revisions
    "agents",  # /bornes/agent/, /bornes/formations/, /bornes/statistiques/
]

urlpatterns = [path("", include(f"cybercantal.kiosks.views.{part}")) for part in PARTS]
