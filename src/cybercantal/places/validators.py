"""Field validators of places (referenced by the migrations: keep their names and paths)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# An uploaded photo may not be larger than this (bytes) nor than this many pixels a side.
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 6000
PHOTO_MIN_SIDE = 50
# What Pillow must recognise in the bytes themselves; the file name is never trusted.
PHOTO_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}

PIVOT_RE = re.compile(r"^(?:[0-9]{14}|W[A-Za-z0-9]{9})$")


def validate_opening_hours(value: str) -> None:
    """The text must be a valid OSM ``opening_hours`` expression (checked by the real parser)."""
    from .hours import parse_error  # local import: hours imports nothing from models

    message = parse_error(value)
    if message:
        raise ValidationError(message, code="invalid_opening_hours")


def validate_pivot(value: str) -> None:
    """SIRET (14 digits), RNA (W + 9 characters) or the schema's "00000000000000"."""
    if value and not PIVOT_RE.fullmatch(value):
        raise ValidationError(
            _(
                "Indiquez un numéro SIRET (14 chiffres), un numéro RNA (W suivi de 9 caractères) "
                "ou 00000000000000 si la structure n'en a pas."
            ),
            code="invalid_pivot",
        )


def validate_photo(value: Any) -> None:
    """Check the uploaded bytes really are a JPEG, PNG or WebP image of a reasonable size.

    The name and the browser's content type are ignored: Pillow opens the content, verifies
    it, and we refuse anything else (SVG, HTML renamed .jpg, decompression bombs...).
    """
    from PIL import Image, UnidentifiedImageError

    if not value:
        return
    size = getattr(value, "size", None)
    if size is not None and size > PHOTO_MAX_BYTES:
        raise ValidationError(
            _("La photo est trop lourde (%(size)s Mo au plus).") % {"size": PHOTO_MAX_BYTES // (1024 * 1024)},
            code="photo_too_large",
        )
    try:
        position = value.tell() if hasattr(value, "tell") else None
        value.seek(0)
        with Image.open(value) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("Ce fichier n'est pas une image lisible : envoyez une photo JPEG, PNG ou WebP."),
            code="photo_invalid",
        ) from exc
    finally:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            value.seek(position or 0)
    if image_format not in PHOTO_FORMATS:
        raise ValidationError(
            _("Format d'image non accepté : envoyez une photo JPEG, PNG ou WebP."),
            code="photo_format",
        )
    if max(width, height) > PHOTO_MAX_SIDE or min(width, height) < PHOTO_MIN_SIDE:
        raise ValidationError(
            _("La photo doit mesurer entre %(min)s et %(max)s pixels de côté.")
            % {"min": PHOTO_MIN_SIDE, "max": PHOTO_MAX_SIDE},
            code="photo_dimensions",
        )
