"""French error pages: 403 and 404 in our layout, 500 standalone."""

from __future__ import annotations

from django.template.loader import get_template


def test_404_is_french_and_ours(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page introuvable</h1>" in html
    assert 'class="skip-link"' in html
    assert 'lang="fr"' in html


def test_500_renders_without_any_context():
    template = get_template("500.html")
    html = template.render()  # exactly what django.views.defaults.server_error does
    assert "Le serveur a rencontré une erreur" in html
    assert 'lang="fr"' in html
    assert "<style" not in html  # inline styles would be blocked by the CSP


def test_403_without_a_message_has_a_default(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get("/quelque-part/")
    request.user = AnonymousUser()
    request.csp_nonce = "n"
    response = permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "Vous n'avez pas accès à cette page." in html
    assert "/compte/login/?next=/quelque-part/" in html


def test_csrf_failure_page_is_french(db):
    from django.test import Client
    from django.urls import reverse

    response = Client(enforce_csrf_checks=True).post(reverse("account_login"), {"login": "a@b.fr", "password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Le formulaire a expiré" in html
    assert 'lang="fr"' in html
