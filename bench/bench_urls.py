"""URLs of the benchmarks: the project's own URLs plus a bare view as the baseline."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from cybercantal.urls import urlpatterns as project_urlpatterns


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    """Everyone: "ok", through the whole middleware stack, no template, no query (bench only)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *project_urlpatterns]
