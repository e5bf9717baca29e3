"""URLconf for the territory and API tests.

It is the project's URLconf whenever that one loads. While other apps' views are still being
written (their ``urls.py`` importing modules that do not exist yet), it falls back to the
territory pages and the API plus stand-ins for the URL names that ``base.html`` links to, so
that this app can be tested on its own.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _stand_in(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return HttpResponse("")


try:
    from cybercantal.urls import urlpatterns
except (ImportError, AttributeError):  # another app is half-written: test in isolation
    from cybercantal.api.api import api

    urlpatterns = [
        path(
            "",
            include(
                (
                    [
                        path("", _stand_in, name="home"),
                        path("mentions-legales/", _stand_in, name="legal"),
                        path("confidentialite/", _stand_in, name="privacy"),
                        path("accessibilite/", _stand_in, name="accessibility"),
                    ],
                    "core",
                )
            ),
        ),
        path(
            "lieux/",
            include(
                (
                    [
                        path("", _stand_in, name="directory"),
                        path("carte/", _stand_in, name="map"),
                        path("couverture/", _stand_in, name="coverage"),
                    ],
                    "places",
                )
            ),
        ),
        path("compte/", include(([path("mes-donnees/", _stand_in, name="my_data")], "accounts"))),
        path("compte/", include("allauth.urls")),
        path("territoire/", include("cybercantal.territory.urls")),
        path("api/", api.urls),
        path("i18n/", include("django.conf.urls.i18n")),
    ]
