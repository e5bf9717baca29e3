"""Reusable view decorators: 403 with our French page, sign-in first for anonymous people."""

from __future__ import annotations

import pytest

from cybercantal.accounts.decorators import role_required
from cybercantal.accounts.models import Role

pytestmark = pytest.mark.urls("cybercantal.accounts.tests.urls_decorators")


def test_role_required_lets_the_roles_in(make_user, grant, signed_in):
    user = make_user()
    grant(user, Role.PROGRAMME_MANAGER)
    response = signed_in(user).get("/essai/gestion/")
    assert response.status_code == 200


def test_role_required_refuses_others_with_a_french_403(make_user, grant, signed_in, organisation):
    user = make_user()
    grant(user, Role.MEDIATOR, scope=organisation)
    response = signed_in(user).get("/essai/gestion/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Accès refusé</h1>" in html
    assert "Cette page est réservée à certains rôles." in html
    assert 'class="skip-link"' in html


def test_anonymous_people_are_sent_to_sign_in(client, db):
    response = client.get("/essai/gestion/")
    assert response.status_code == 302
    assert response["Location"].startswith("/compte/login/")


def test_superuser_passes_role_required(make_user, signed_in):
    assert signed_in(make_user(is_superuser=True, is_staff=True)).get("/essai/gestion/").status_code == 200


def test_role_required_needs_known_roles():
    with pytest.raises(ValueError, match="known roles"):
        role_required("pirate")
    with pytest.raises(ValueError, match="known roles"):
        role_required()


def test_object_permission_decorator(make_user, grant, signed_in, organisation):
    manager = make_user()
    grant(manager, Role.PROGRAMME_MANAGER)
    client = signed_in(manager)
    response = client.get(f"/essai/organisation/{organisation.pk}/")
    assert response.status_code == 200
    assert response.content.decode() == organisation.name
    assert client.get("/essai/organisation/999999/").status_code == 404


def test_object_permission_decorator_refuses_with_403(make_user, signed_in, organisation):
    response = signed_in(make_user()).get(f"/essai/organisation/{organisation.pk}/")
    assert response.status_code == 403
    assert "Vous n&#x27;avez pas accès à cette page." in response.content.decode()
