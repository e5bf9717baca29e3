"""Validation of identifiers people type: SIRET (python-stdnum)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.fr import siret as stdnum_siret


def normalise_siret(value: str | None) -> str:
    """Return the 14 digits of a valid SIRET ("" when empty), or raise a French error on ``siret``.

    Spaces and dots are accepted and removed. The check digit follows the Luhn rule, except
    for La Poste's establishments (SIREN 356 000 000) whose digits must add up to a multiple
    of 5: python-stdnum knows both rules.
    """
    if value is None or not str(value).strip():
        return ""
    try:
        return str(stdnum_siret.validate(value))
    except stdnum_errors.InvalidLength as exc:
        digits = sum(c.isdigit() for c in str(value))
        message = _("Un numéro SIRET compte 14 chiffres (vous en avez saisi %(n)s).") % {"n": digits}
        raise ValidationError({"siret": message}, code="siret_length") from exc
    except stdnum_errors.InvalidFormat as exc:
        message = _("Un numéro SIRET ne contient que des chiffres (les espaces sont acceptés).")
        raise ValidationError({"siret": message}, code="siret_format") from exc
    except stdnum_errors.ValidationError as exc:
        message = _("Ce numéro SIRET n'est pas valide : un chiffre est probablement erroné (clé de contrôle).")
        raise ValidationError({"siret": message}, code="siret_checksum") from exc
