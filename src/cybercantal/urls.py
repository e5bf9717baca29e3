from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from cybercantal.api.api import api

admin.site.site_header = "CyberCantal — administration"
admin.site.site_title = "CyberCantal"

urlpatterns = [
    path("", include("cybercantal.core.urls")),
    path("compte/", include("cybercantal.accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("territoire/", include("cybercantal.territory.urls")),
    path("lieux/", include("cybercantal.places.urls")),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:  # pragma: no cover
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
