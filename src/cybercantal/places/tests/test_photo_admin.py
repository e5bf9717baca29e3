"""Photo uploads are checked by content; the admin writes through the services."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cybercantal.core.models import JournalEntry
from cybercantal.places.validators import validate_photo

from .factories import PlaceFactory, UserFactory, give_totp


def image_bytes(image_format: str, size: tuple[int, int] = (120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 60)).save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_real_images_are_accepted(image_format):
    validate_photo(SimpleUploadedFile("photo.bin", image_bytes(image_format)))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "pas une image lisible"),
        ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "pas une image lisible"),
        ("photo.gif", None, "Format d'image non accepté"),
        ("photo.png", "tiny", "entre 50 et 6000 pixels"),
    ],
)
def test_other_content_is_refused_whatever_its_name(name, content, message):
    if content is None:
        content = image_bytes("GIF")
    elif content == "tiny":
        content = image_bytes("PNG", (10, 10))
    with pytest.raises(ValidationError) as error:
        validate_photo(SimpleUploadedFile(name, content, content_type="image/jpeg"))
    assert message in error.value.messages[0]


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(is_staff=True, is_superuser=True)
    give_totp(user)
    client.force_login(user)
    return client


def test_admin_lists_and_changes_through_the_services(admin_client, small_cantal):
    place = PlaceFactory(name="EPN Admin", commune=small_cantal["communes"]["murat"], postal_code="15300")
    assert admin_client.get(reverse("admin:places_place_changelist")).status_code == 200
    url = reverse("admin:places_place_change", args=[place.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    # The LMN lists are checkboxes of their enumeration, as on the site (one helper for both).
    assert form.fields["services"].widget.input_type == "checkbox"
    assert form.fields["typologie"].widget.allow_multiple_selected
    data = {name: value for name, value in form.initial.items() if value not in (None, [])}
    data.update(
        {
            "name": "EPN Admin renommé",
            "commune": place.commune_id,
            "offers": ["epn"],
            "opening_hours": "Sa 10:00-12:00",
            "photo": "",
        }
    )
    data = {k: v for k, v in data.items() if k not in {"photo", "organisation"}}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    place.refresh_from_db()
    assert place.name == "EPN Admin renommé"
    assert " renomme " in place.search_text
    assert list(place.opening_slots.values_list("weekday", flat=True)) == [5]
    assert JournalEntry.objects.filter(action="place.updated", target_id=str(place.pk)).exists()
