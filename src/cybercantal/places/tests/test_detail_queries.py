"""The place detail page reads the database in a fixed number of queries, whatever the
sections that programme apps add through ``places.extensions`` (each adds its own, once)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext

from cybercantal.places import extensions

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

# place (commune, canton joined) + what the registered sections of the installed apps read
# (the EPN network's labels: one). Staying under this bound is the test; a section that reads
# per item would break it when the place has many.
MAX_DETAIL_QUERIES = 6


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_detail_page_query_count(client, epn_riom, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
        response = client.get(epn_riom.get_absolute_url())
    assert response.status_code == 200


def test_a_registered_section_is_read_once_and_shown(client, epn_riom, small_cantal, monkeypatch):
    other = PlaceFactory(name="EPN Voisin", commune=small_cantal["communes"]["murat"], postal_code="15300")
    baseline = _queries(client, epn_riom.get_absolute_url())
    calls = []

    def section(place):
        calls.append(place.pk)
        return {"text": f"Section de {place.name}"} if place.pk == epn_riom.pk else None

    monkeypatch.setattr(extensions, "_DETAIL_SECTIONS", dict(extensions._DETAIL_SECTIONS))
    # ``{% include %}`` also takes a compiled template: no template file for a test.
    template = engines["django"].from_string("<p>{{ section.text }}</p>")
    extensions.register_detail_section("test.section", template=template, context=section)
    html = client.get(epn_riom.get_absolute_url()).content.decode()
    assert "Section de EPN La Fontaine" in html
    assert "Section de" not in client.get(other.get_absolute_url()).content.decode()
    assert calls == [epn_riom.pk, other.pk]
    assert _queries(client, epn_riom.get_absolute_url()) == baseline
