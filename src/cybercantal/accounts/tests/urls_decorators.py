"""Test URLs: the project's, plus two views protected by the accounts decorators."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.models import Organisation, Role
from cybercantal.urls import urlpatterns as project_patterns


@role_required(Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
def managers_only(request: HttpRequest) -> HttpResponse:
    """Programme managers and administrators."""
    return HttpResponse("ok")


@permission_required_for_object(
    "accounts.change_organisation", lambda request, pk: get_object_or_404(Organisation, pk=pk)
)
def organisation_page(request: HttpRequest, pk: int, obj: Organisation) -> HttpResponse:
    """People who may change this organisation."""
    return HttpResponse(obj.name)


urlpatterns = [
    path("essai/gestion/", managers_only),
    path("essai/organisation/<int:pk>/", organisation_page),
    *project_patterns,
]
