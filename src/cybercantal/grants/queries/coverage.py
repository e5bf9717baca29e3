"""Reads of the coverage part: the current edition, the building lookup behind the eligibility
check, the commune statistics, the editions page, the programmes one may check against, and
the rows that show an eligibility answer (page, API, and any part that shows a snapshot)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.territory.models import Commune

from ..models import Building, CommuneCoverage, CoverageEdition, EligibilityAnswer, GrantProgramme

# At most this many buildings are read for one address (a lieu-dit without numbers may hold a few).
MAX_CANDIDATES = 20
# How close a typed street must be to a known one to be taken for it (difflib ratio).
STREET_CUTOFF = 0.86
STREET_CACHE_SECONDS = 15 * 60


def current_edition() -> CoverageEdition | None:
    return CoverageEdition.objects.filter(is_current=True).first()


def editions() -> QuerySet[CoverageEdition]:
    """Every imported edition, newest quarter first, with who imported it."""
    return CoverageEdition.objects.select_related("imported_by").order_by("-quarter")


def commune_coverage(*, edition: CoverageEdition, commune: Any) -> CommuneCoverage | None:
    return CommuneCoverage.objects.filter(edition=edition, commune=commune).first()


@dataclass
class BuildingMatch:
    buildings: list[Building] = field(default_factory=list)
    match: str = ""  # "exacte", "numero_voisin" (same number, other suffix), "sans_numero", "approchee"
    note: str = ""  # why nothing matched, in French, for the commune fallback


def _candidates(*, edition: CoverageEdition, commune: Any, key: str, number: str) -> list[Building]:
    buildings = list(
        Building.objects.filter(edition=edition, commune=commune, street_key=key, number=number).order_by(
            "suffix", "imb_id"
        )[:MAX_CANDIDATES]
    )
    for building in buildings:  # the commune is known: no join (its boundary is a big text)
        building.commune = commune
    return buildings


def _highest_number(*, edition: CoverageEdition, commune: Any, key: str) -> str | None:
    """None when the street is unknown; "" when none of its buildings has a number (a lieu-dit)."""
    return (
        Building.objects.filter(edition=edition, commune=commune, street_key=key)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )


def _pick(candidates: list[Building], suffix: str) -> tuple[list[Building], str]:
    same = [b for b in candidates if b.suffix == suffix]
    if same:
        return same, "exacte"
    plain = [b for b in candidates if not b.suffix]
    return (plain or candidates), "numero_voisin"


def street_keys(*, edition: CoverageEdition, commune: Any) -> list[str]:
    """The street keys of a commune in an edition, cached (a town has a few thousand).

    The cache key carries the import time: a re-import of the edition is never served stale.
    """
    stamp = int(edition.imported_at.timestamp() * 1000) if edition.imported_at else 0
    cache_key = f"grants:coverage:streets:{edition.pk}:{stamp}:{getattr(commune, 'pk', '')}"

    def load() -> list[str]:
        return list(
            Building.objects.filter(edition=edition, commune=commune)
            .order_by()
            .values_list("street_key", flat=True)
            .distinct()
        )

    return list(cache.get_or_set(cache_key, load, STREET_CACHE_SECONDS) or [])


def _close_street(*, edition: CoverageEdition, commune: Any, key: str) -> str | None:
    """The one known street of the commune spelt like ``key`` (a typo, a missing street type)."""
    keys = street_keys(edition=edition, commune=commune)
    close = difflib.get_close_matches(key, keys, n=2, cutoff=STREET_CUTOFF)
    if not close:
        # "bousquet" for " le bousquet ", "bourg" for "route du bourg": a whole-word tail.
        tails = [k for k in keys if k.endswith(key) and key.strip()]
        return tails[0] if len(tails) == 1 else None
    if (
        len(close) == 2
        and difflib.SequenceMatcher(None, key, close[0]).ratio() == difflib.SequenceMatcher(None, key, close[1]).ratio()
    ):
        return None  # two streets as close as each other: do not guess
    return close[0]


def find_buildings(*, edition: CoverageEdition, commune: Any, parsed: Any) -> BuildingMatch:
    """The building(s) at ``parsed`` (a ``services.coverage.ParsedAddress``) in the edition.

    Uses the ``building_address_idx`` index (edition, commune, street_key, number): one query
    when the address is exact, two or three otherwise.
    """
    key, number, suffix = parsed.key, parsed.number, parsed.suffix
    approximate = False
    candidates = _candidates(edition=edition, commune=commune, key=key, number=number)
    if not candidates and parsed.other_key:  # "3 Le Bousquet Neuvéglise-sur-Truyère"
        candidates = _candidates(edition=edition, commune=commune, key=parsed.other_key, number=number)
        if candidates or _highest_number(edition=edition, commune=commune, key=key) is None:
            key = parsed.other_key
    if not candidates:
        highest = _highest_number(edition=edition, commune=commune, key=key)
        if highest is None:  # no such street
            close = _close_street(edition=edition, commune=commune, key=key)
            if close is None:
                return BuildingMatch(
                    note=_("L'adresse « %(address)s » n'est pas dans les données de l'Arcep pour %(commune)s.")
                    % {"address": parsed.label(), "commune": getattr(commune, "name", "")}
                )
            key, approximate = close, True
            candidates = _candidates(edition=edition, commune=commune, key=key, number=number)
            highest = _highest_number(edition=edition, commune=commune, key=key) if not candidates else None
        if not candidates and number and highest == "":
            # A lieu-dit whose buildings have no number: the number typed does not matter.
            candidates = _candidates(edition=edition, commune=commune, key=key, number="")
        if not candidates:
            if number:
                note = _("La voie « %(street)s » est connue mais pas le numéro %(number)s dans les données de l'Arcep.")
            else:
                note = _("La voie « %(street)s » est connue : indiquez le numéro pour une réponse à l'immeuble.")
            return BuildingMatch(note=note % {"street": parsed.street, "number": number})
    picked, match = _pick(candidates, suffix)
    if approximate:
        match = "approchee"
    return BuildingMatch(buildings=picked, match=match)


# --- Pages ----------------------------------------------------------------------------------------


def edition_rows() -> list[CoverageEdition]:
    """The editions page: one query (counts are stored on the edition at import)."""
    return list(editions())


def checkable_programmes() -> list[GrantProgramme]:
    """Published programmes one may check an address against, open ones first."""
    today = timezone.localdate()
    programmes = list(GrantProgramme.objects.filter(is_published=True).order_by("name", "pk"))
    programmes.sort(key=lambda p: (not is_open(p, today), p.name))
    return programmes


def is_open(programme: GrantProgramme, today: Any = None) -> bool:
    today = today or timezone.localdate()
    return bool(programme.is_published and programme.opens_on <= today <= programme.closes_on)


def default_programme(programmes: list[GrantProgramme]) -> GrantProgramme | None:
    """The only open programme, else the only published one, else None (the person chooses)."""
    today = timezone.localdate()
    open_ones = [p for p in programmes if is_open(p, today)]
    if len(open_ones) == 1:
        return open_ones[0]
    if not open_ones and len(programmes) == 1:
        return programmes[0]
    return None


# --- Showing an answer ----------------------------------------------------------------------------


def basis_label(basis: str) -> str:
    labels = {
        "building": _("données à l'immeuble"),
        "commune": _("statistiques de la commune"),
        "none": _("aucune donnée"),
        "rule_off": _("pas de condition de débit"),
    }
    return labels.get(basis, basis)


def answer_label(answer: str) -> str:
    try:
        return str(EligibilityAnswer(answer).label)
    except ValueError:
        return answer


def result_rows(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows of the data behind an answer, in French, for a table.

    Works on ``EligibilityResult.snapshot()`` (what the dossier stores), so a dossier page
    can show the data exactly as it was when checked.
    """
    data = snapshot.get("data") or {}
    basis = snapshot.get("basis", "")
    rows: list[tuple[str, str]] = []
    if data.get("commune"):
        rows.append((_("Commune"), f"{data['commune']} ({data.get('insee_code', '')})"))
    if basis == "building":
        rows.append((_("Immeuble trouvé"), data.get("address", "")))
        rows.append((_("Identifiant Arcep de l'immeuble"), data.get("imb_id", "")))
        rows.append((_("Locaux dans l'immeuble"), str(data.get("premises", ""))))
        technologies = data.get("technologies") or []
        if technologies:
            rows.extend(
                (
                    _("Débit par %(techno)s") % {"techno": line.get("techno_label", line.get("techno", ""))},
                    line.get("classe_label", line.get("classe", "")),
                )
                for line in technologies
            )
        else:
            rows.append((_("Accès filaires"), _("aucun")))
        rows.append((_("Meilleur débit filaire"), data.get("best_class_label", "")))
        rows.extend(
            (_("Autre immeuble à cette adresse"), f"{other['address']} : {other['best_class_label']}")
            for other in data.get("other_buildings") or []
        )
    elif basis == "commune":
        if data.get("address"):
            rows.append((_("Adresse saisie"), data["address"]))
        rows.append((_("Locaux de la commune"), str(data.get("premises", ""))))
        rows.extend(
            (_("Locaux « %(label)s »") % {"label": line.get("classe_label", "")}, str(line.get("premises", "")))
            for line in data.get("by_class") or []
        )
        rows.append((_("Part des locaux sous le seuil"), data.get("share_below", "")))
    if data.get("threshold_text") and basis in ("building", "commune"):
        rows.append((_("Condition du dispositif"), data["threshold_text"]))
    rows.append((_("Base de la réponse"), basis_label(basis)))
    rows.append((_("Édition des données"), snapshot.get("edition") or _("aucune")))
    return rows


# --- The commune typed on the eligibility page or given to the API --------------------------------


@dataclass
class CommuneLookup:
    commune: Any = None
    code: str = ""  # error code when no commune: required, invalid, outside_departement, unknown_commune, ambiguous
    message: str = ""  # French, when no commune
    suggestions: list[Any] = field(default_factory=list)  # current communes the person may have meant
    note: str = ""  # "Lavastrie est une commune déléguée de Neuvéglise-sur-Truyère."


def departement_name() -> str:
    from cybercantal.territory import queries as territory_queries

    departement = territory_queries.current_departement()
    return departement.name if departement else settings.DEPARTEMENT_CODE


def _current_of(commune: Any) -> tuple[Any, str]:
    """A former commune (déléguée, associée) stands for its current one."""
    if commune.kind != Commune.Kind.ACTUELLE and commune.parent_id:
        parent = commune.parent
        note = _("%(old)s fait partie de la commune de %(new)s.") % {"old": commune.name, "new": parent.name}
        return parent, note
    return commune, ""


def _lookup_code(code: str, ours: QuerySet[Commune], *, where: str, prefer_postal: bool) -> CommuneLookup:
    """Five characters: an INSEE code or a postal code (15100 is both: Laveissenet's INSEE code
    and Saint-Flour's postal code). ``prefer_postal``: a person types postal codes, an API
    client INSEE codes."""
    by_code = ours.filter(insee_code=code).order_by("kind").first()  # "actuelle" sorts first
    by_postcode = [c for c in ours.filter(kind=Commune.Kind.ACTUELLE) if code in (c.postal_codes or [])]
    if by_code is not None and not (prefer_postal and by_postcode):
        commune, note = _current_of(by_code)
        return CommuneLookup(commune=commune, note=note)
    if len(by_postcode) == 1 and by_code is None:
        return CommuneLookup(commune=by_postcode[0])
    if by_postcode:
        suggestions = sorted(by_postcode, key=lambda c: (-(c.population or 0), c.name))  # the town first
        if by_code is not None:
            current, _note = _current_of(by_code)
            suggestions = [current, *[c for c in suggestions if c != current]]
        return CommuneLookup(
            code="ambiguous",
            message=_("Plusieurs communes ont le code postal %(code)s : choisissez la vôtre.") % {"code": code},
            suggestions=suggestions,
        )
    if not code.startswith(settings.DEPARTEMENT_CODE):
        return CommuneLookup(
            code="outside_departement",
            message=_(
                "La commune %(code)s n'est pas dans le département %(dep)s : le dispositif ne concerne que "
                "ses communes."
            )
            % {"code": code, "dep": where},
        )
    return CommuneLookup(
        code="unknown_commune",
        message=_("Aucune commune du département %(dep)s n'a le code %(code)s.") % {"code": code, "dep": where},
    )


def lookup_commune(text: str, *, prefer_postal: bool = False) -> CommuneLookup:
    """The current commune of the département for a name, an INSEE code or a postal code."""
    from cybercantal.places.queries import resolve_commune

    text = (text or "").strip()
    where = departement_name()
    if not text:
        return CommuneLookup(code="required", message=_("Indiquez la commune de vos locaux."))
    if len(text) > 150 or "\x00" in text:
        return CommuneLookup(code="invalid", message=_("Ce nom de commune n'est pas lisible."))
    ours = Commune.objects.filter(departement__code=settings.DEPARTEMENT_CODE).select_related("parent")
    if re.fullmatch(r"[0-9][0-9AaBb][0-9]{3}", text):
        return _lookup_code(text.upper(), ours, where=where, prefer_postal=prefer_postal)
    match = resolve_commune(text)
    if match.commune is not None:
        if match.commune.departement.code != settings.DEPARTEMENT_CODE:
            return CommuneLookup(
                code="outside_departement",
                message=_(
                    "%(name)s n'est pas dans le département %(dep)s : le dispositif ne concerne que ses communes."
                )
                % {"name": match.commune.name, "dep": where},
            )
        commune, note = _current_of(match.commune)
        return CommuneLookup(commune=commune, note=note)
    suggestions = []
    for candidate in match.suggestions:
        current, _note = _current_of(candidate)
        if current.departement_id and current not in suggestions:
            suggestions.append(current)
    if suggestions and not match.close_spelling:
        return CommuneLookup(
            code="ambiguous",
            message=_("Plusieurs communes correspondent à « %(text)s » : choisissez la vôtre.") % {"text": text[:60]},
            suggestions=suggestions,
        )
    if suggestions:
        return CommuneLookup(
            code="unknown_commune",
            message=_("Aucune commune du département %(dep)s ne s'appelle « %(text)s ». Vouliez-vous dire :")
            % {"text": text[:60], "dep": where},
            suggestions=suggestions,
        )
    return CommuneLookup(
        code="unknown_commune",
        message=_(
            "Aucune commune du département %(dep)s ne s'appelle « %(text)s » : le dispositif ne concerne que "
            "ses communes."
        )
        % {"text": text[:60], "dep": where},
    )


def programme_by_slug(slug: str) -> GrantProgramme | None:
    if not slug or len(slug) > 60 or not re.fullmatch(r"[-\w]+", slug, re.ASCII):
        return None
    return GrantProgramme.objects.filter(slug=slug, is_published=True).first()
