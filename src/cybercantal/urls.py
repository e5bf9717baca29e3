from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from cybercantal.api.api import api

admin.site.site_header = "CyberCantal — administration"
admin.site.site_title = "CyberCantal"

urlpatterns = [
    path("", include("cybercantal.core.urls")),
    path("compte/", include("cybercantal.accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("territoire/", include("cybercantal.territory.urls")),
    path("lieux/", include("cybercantal.places.urls")),
    path("", include("cybercantal.mediation.urls")),
    path("", include("cybercantal.kiosks.urls")),
    path("aides/", include("cybercantal.grants.urls")),
    path("telecentres/", include("cybercantal.telework.urls")),
    path("ent/", include("cybercantal.learning.urls")),
    path("api/", api.urls),
    # The language form is in every page's footer: anonymous visitors must be able to use it.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
