"""Writes to the reference geography: the import of the INSEE (COG) lists and IGN boundaries.

One entry point, :func:`territory_import`, used by the ``territory_import`` command and by the
test fixtures. It reads the files of one département (see ``data/15/SOURCES.md`` and
``docs/territoire.md``), runs in one transaction, and is idempotent: rows are matched by
their codes, a row is written only when one of its values differs, and nothing is deleted.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils.text import slugify
from shapely import STRtree
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from cybercantal.core import journal
from cybercantal.core.text import normalise

from . import geometry
from .models import Arrondissement, Canton, Commune, Departement, Epci, Region

DATA_DIR = Path(__file__).resolve().parent / "data"

#: A commune belongs to every canton that covers at least this share of its area. The
#: canton outlines are simplified much more than the commune outlines, so a commune that
#: lies in one canton still "overlaps" its neighbours by up to 8.4 % along the border; the
#: real splits of the Cantal data start at 15.8 % (Aurillac in Aurillac-3). See
#: docs/territoire.md for the measured distribution.
MIN_CANTON_SHARE = 0.12

#: Overlaps below this share are rounding noise, not even worth reporting.
SLIVER_FLOOR = 0.001

#: Decimal places kept in stored coordinates (1e-5 degree is about one metre).
COORDINATE_DECIMALS = 5

KIND_BY_COG_TYPE = {
    "commune-actuelle": Commune.Kind.ACTUELLE,
    "commune-deleguee": Commune.Kind.DELEGUEE,
    "commune-associee": Commune.Kind.ASSOCIEE,
}


class TerritoryImportError(Exception):
    """The source files are missing or inconsistent; the message is French."""


# --- reading the files ---------------------------------------------------------------------


@dataclass
class SourceData:
    """The parsed files of one département."""

    departement: dict[str, Any]
    region: dict[str, Any]
    arrondissements: list[dict[str, Any]]
    epcis: list[dict[str, Any]]
    communes: list[dict[str, Any]]
    departement_geometry: BaseGeometry
    arrondissement_features: list[tuple[dict[str, Any], BaseGeometry]]
    canton_features: list[tuple[dict[str, Any], BaseGeometry]]
    commune_features: dict[str, tuple[dict[str, Any], BaseGeometry]]
    fallbacks: dict[str, Any]
    files: list[Path]


def default_source_dir(departement_code: str) -> Path:
    """The files shipped with the package for ``departement_code`` (``data/<code>/``)."""
    return DATA_DIR / departement_code


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TerritoryImportError(f"Fichier introuvable : {path}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TerritoryImportError(f"Fichier illisible (JSON attendu) : {path} — {exc}") from exc


def _features(path: Path) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """(properties, shapely geometry) of a FeatureCollection, a single Feature or a geometry."""
    data = _read_json(path)
    if data.get("type") == "FeatureCollection":
        raw = data.get("features", [])
    elif data.get("type") == "Feature":
        raw = [data]
    else:
        raw = [{"type": "Feature", "properties": {}, "geometry": data}]
    result = []
    for feature in raw:
        try:
            geom = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TerritoryImportError(f"Géométrie invalide dans {path} : {feature.get('properties')}") from exc
        if not geom.is_valid:
            geom = geom.buffer(0)
        result.append((feature.get("properties") or {}, geom))
    return result


def read_source(source_dir: Path, departement_code: str) -> SourceData:
    """Read and check the nine files of a département (names as in ``data/15/``)."""
    if not source_dir.is_dir():
        raise TerritoryImportError(f"Dossier de données introuvable : {source_dir}")
    code = departement_code
    expected = [
        f"departement-{code}.json",
        f"arrondissements-{code}.json",
        f"epci-{code}.json",
        f"communes-{code}.json",
        f"departement-{code}.geojson",
        f"arrondissements-{code}.geojson",
        f"cantons-{code}.geojson",
        f"communes-{code}.geojson",
    ]
    missing = [name for name in expected if not (source_dir / name).is_file()]
    if missing:
        raise TerritoryImportError(f"Fichiers manquants dans {source_dir} : {', '.join(missing)}")
    departement = _read_json(source_dir / f"departement-{code}.json")
    if isinstance(departement, list):  # tolerate the unfiltered list of the npm package
        departement = next((d for d in departement if d.get("code") == code), None)
    if not departement or departement.get("code") != code:
        raise TerritoryImportError(f"departement-{code}.json ne décrit pas le département {code}.")
    region_path = source_dir / f"region-{departement['region']}.json"
    region = _read_json(region_path)
    if isinstance(region, list):
        region = next((r for r in region if r.get("code") == departement["region"]), None)
    if not region:
        raise TerritoryImportError(f"{region_path.name} ne décrit pas la région {departement['region']}.")
    communes = [c for c in _read_json(source_dir / f"communes-{code}.json") if c.get("departement") == code]
    if not any(c.get("type") == "commune-actuelle" for c in communes):
        raise TerritoryImportError(f"communes-{code}.json ne contient aucune commune du département {code}.")
    fallbacks_path = source_dir / "fallbacks.json"
    fallbacks = _read_json(fallbacks_path) if fallbacks_path.is_file() else {}
    outline = _features(source_dir / f"departement-{code}.geojson")
    commune_features: dict[str, tuple[dict[str, Any], BaseGeometry]] = {}
    for props, geom in _features(source_dir / f"communes-{code}.geojson"):
        commune_features[str(props.get("code", ""))] = (props, geom)
    files = [source_dir / name for name in expected] + [region_path]
    if fallbacks_path.is_file():
        files.append(fallbacks_path)
    return SourceData(
        departement=departement,
        region=region,
        arrondissements=[
            a for a in _read_json(source_dir / f"arrondissements-{code}.json") if a.get("departement") == code
        ],
        epcis=_read_json(source_dir / f"epci-{code}.json"),
        communes=communes,
        departement_geometry=unary_union([geom for _, geom in outline]),
        arrondissement_features=_features(source_dir / f"arrondissements-{code}.geojson"),
        canton_features=_features(source_dir / f"cantons-{code}.geojson"),
        commune_features=commune_features,
        fallbacks=fallbacks,
        files=files,
    )


# --- geometry helpers -----------------------------------------------------------------------


def _round_coordinates(value: Any) -> Any:
    if isinstance(value, float | int):
        return round(float(value), COORDINATE_DECIMALS)
    return [_round_coordinates(item) for item in value]


def geometry_to_text(geom: BaseGeometry) -> str:
    """Compact GeoJSON geometry text with coordinates rounded to 5 decimals."""
    data = mapping(geom)
    return json.dumps(
        {"type": data["type"], "coordinates": _round_coordinates(data["coordinates"])},
        separators=(",", ":"),
    )


def _point_of(geom: BaseGeometry) -> tuple[float, float]:
    """(latitude, longitude) of a point guaranteed to lie inside ``geom``."""
    point = geom.representative_point()
    return round(point.y, COORDINATE_DECIMALS), round(point.x, COORDINATE_DECIMALS)


def _percent(share: float, digits: int = 0) -> str:
    """French percentage: 0.034 -> "3,4 %"."""
    return f"{share * 100:.{digits}f}".replace(".", ",") + "\u00a0%"


# --- the report -------------------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    departement_code: str
    source_dir: Path
    tallies: dict[str, Tally] = field(default_factory=dict)
    canton_links_changed: int = 0
    multi_canton: list[str] = field(default_factory=list)
    ignored_slivers: int = 0
    fallbacks: list[str] = field(default_factory=list)
    names_from_cog: int = 0
    warnings: list[str] = field(default_factory=list)
    current_without_canton: list[str] = field(default_factory=list)
    data_version: str = ""
    seconds: float = 0.0

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())

    @property
    def changed(self) -> bool:
        return self.canton_links_changed > 0 or any(t.created or t.updated for t in self.tallies.values())

    def lines(self) -> list[str]:
        """The French summary printed by the command."""
        out = [f"Import du territoire {self.departement_code} depuis {self.source_dir}"]
        for label, tally in self.tallies.items():
            out.append(
                f"  {label} : {tally.total} ({tally.created} créé(s), {tally.updated} mis à jour, "
                f"{tally.unchanged} inchangé(s))"
            )
        out.append(f"  liens commune-canton modifiés : {self.canton_links_changed}")
        out.append(f"  communes sur plusieurs cantons : {len(self.multi_canton)}")
        out.extend(f"    {line}" for line in self.multi_canton)
        out.append(
            f"  parts de canton ignorées (< {_percent(MIN_CANTON_SHARE)} de la commune, bords simplifiés) : "
            f"{self.ignored_slivers}"
        )
        out.append(f"  contours de repli : {len(self.fallbacks)}")
        out.extend(f"    {line}" for line in self.fallbacks)
        out.append(f"  noms repris du COG (différents des contours 2018) : {self.names_from_cog}")
        out.extend(f"  ATTENTION : {warning}" for warning in self.warnings)
        out.append(f"  version des données : {self.data_version}")
        out.append(f"  durée : {self.seconds:.2f} s")
        return out


# --- writing ----------------------------------------------------------------------------------


M = TypeVar("M", bound=models.Model)


def _sync(
    existing: dict[Any, M],
    model: type[M],
    key: Any,
    lookup: dict[str, Any],
    values: dict[str, Any],
    tally: Tally,
) -> M:
    """Create the row, or update only the fields whose value differs; count what happened."""
    obj = existing.get(key)
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        existing[key] = obj
        tally.created += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=[name.removesuffix("_id") if name.endswith("_id") else name for name in changed])
        tally.updated += 1
    else:
        tally.unchanged += 1
    return obj


def _unique_slug(base: str, taken: set[str], suffix: str) -> str:
    slug = base or suffix
    if slug in taken:
        slug = f"{slug}-{suffix}"
    taken.add(slug)
    return slug


def _canton_number(code: str, departement_code: str) -> int:
    digits = code[len(departement_code) :] if code.startswith(departement_code) else code[-2:]
    try:
        return int(digits)
    except ValueError as exc:
        raise TerritoryImportError(f"Code de canton inattendu : {code!r}") from exc


def _canton_shares(geom: BaseGeometry, tree: STRtree, canton_shapes: list[BaseGeometry]) -> list[tuple[int, float]]:
    """(index of canton, share of the commune's area inside it), largest first."""
    area = geom.area
    if area <= 0:
        return []
    shares = []
    for index in tree.query(geom, predicate="intersects"):
        share = geom.intersection(canton_shapes[int(index)]).area / area
        if share > 0:
            shares.append((int(index), share))
    return sorted(shares, key=lambda item: -item[1])


@transaction.atomic
def territory_import(
    *,
    source_dir: Path | None = None,
    departement_code: str | None = None,
    actor: Any | None = None,
    min_canton_share: float = MIN_CANTON_SHARE,
) -> ImportReport:
    """Load (or refresh) a département from its reference files. Idempotent, one transaction.

    Raises TerritoryImportError (French message) when files are missing or inconsistent;
    nothing is written in that case.
    """
    started = time.perf_counter()
    code = departement_code or settings.DEPARTEMENT_CODE
    source_dir = Path(source_dir) if source_dir else default_source_dir(code)
    data = read_source(source_dir, code)
    report = ImportReport(departement_code=code, source_dir=source_dir)

    # Region and département.
    region = _sync(
        {r.code: r for r in Region.objects.filter(code=data.region["code"])},
        Region,
        data.region["code"],
        {"code": data.region["code"]},
        {"name": data.region["nom"]},
        report.tally("régions"),
    )
    departement = _sync(
        {d.code: d for d in Departement.objects.filter(code=code)},
        Departement,
        code,
        {"code": code},
        {
            "name": data.departement["nom"],
            "region_id": region.pk,
            "chef_lieu_code": data.departement.get("chefLieu", ""),
            "boundary": geometry_to_text(data.departement_geometry),
        },
        report.tally("départements"),
    )

    # Commune geometries first: arrondissements are matched through their chef-lieu.
    commune_geometries, current_sources = _commune_geometries(data, report)

    # Arrondissements: the geojson codes (15001…) are not the COG codes (151…).
    existing_arr = {
        a.code: a for a in Arrondissement.objects.filter(code__in=[a["code"] for a in data.arrondissements])
    }
    arrondissements: dict[str, Arrondissement] = {}
    for item in data.arrondissements:
        geom = _match_arrondissement(item, data, commune_geometries)
        if geom is None:
            report.warnings.append(f"arrondissement {item['code']} {item['nom']} : aucun contour correspondant.")
        arrondissements[item["code"]] = _sync(
            existing_arr,
            Arrondissement,
            item["code"],
            {"code": item["code"]},
            {
                "name": item["nom"],
                "departement_id": departement.pk,
                "chef_lieu_code": item.get("chefLieu", ""),
                "boundary": geometry_to_text(geom) if geom is not None else "",
            },
            report.tally("arrondissements"),
        )

    # EPCI with at least one member in the département; members elsewhere are not loaded.
    current_codes = {c["code"] for c in data.communes if c.get("type") == "commune-actuelle"}
    epci_of_commune: dict[str, Epci] = {}
    relevant = [e for e in data.epcis if any(m.get("code") in current_codes for m in e.get("membres", []))]
    existing_epci = {e.siren: e for e in Epci.objects.filter(siren__in=[e["code"] for e in relevant])}
    for item in relevant:
        epci = _sync(
            existing_epci,
            Epci,
            item["code"],
            {"siren": item["code"]},
            {"name": item["nom"], "kind": item.get("type", ""), "population": item.get("populationMunicipale")},
            report.tally("EPCI"),
        )
        for member in item.get("membres", []):
            if member.get("code") in current_codes:
                epci_of_commune[member["code"]] = epci

    # Cantons.
    existing_cantons = {c.code: c for c in Canton.objects.filter(departement=departement)}
    taken_canton_slugs = set(Canton.objects.exclude(departement=departement).values_list("slug", flat=True))
    cantons: list[Canton] = []
    canton_shapes: list[BaseGeometry] = []
    for props, geom in sorted(data.canton_features, key=lambda item: str(item[0].get("code"))):
        canton_code = str(props.get("code", ""))
        number = _canton_number(canton_code, code)
        latitude, longitude = _point_of(geom)
        cantons.append(
            _sync(
                existing_cantons,
                Canton,
                canton_code,
                {"code": canton_code},
                {
                    "number": number,
                    "name": props.get("nom", canton_code),
                    "slug": _unique_slug(slugify(props.get("nom", "")), taken_canton_slugs, canton_code),
                    "departement_id": departement.pk,
                    "boundary": geometry_to_text(geom),
                    "latitude": latitude,
                    "longitude": longitude,
                },
                report.tally("cantons"),
            )
        )
        canton_shapes.append(geom)
    canton_tree = STRtree(canton_shapes)

    # Communes: current ones first, so that delegated and associated ones find their parent.
    communes = _sync_communes(data, departement, arrondissements, epci_of_commune, commune_geometries, report)

    # Commune -> cantons by geometry.
    _link_cantons(data, communes, commune_geometries, cantons, canton_shapes, canton_tree, min_canton_share, report)
    report.fallbacks.extend(current_sources)

    # Rows of this département that the files no longer describe are kept (places may point
    # at them) but reported.
    known = {(c["code"], KIND_BY_COG_TYPE.get(str(c.get("type")), "")) for c in data.communes}
    for stale in Commune.objects.filter(departement=departement).only("insee_code", "kind", "name"):
        if (stale.insee_code, stale.kind) not in known:
            report.warnings.append(f"commune {stale.insee_code} {stale.name} absente des fichiers : conservée.")

    if report.changed or not departement.data_version:
        departement.data_version = uuid.uuid4().hex
        departement.save(update_fields=["data_version"])
        journal.record(
            actor=actor,
            action="territory.imported",
            target=departement,
            data={
                "source": str(source_dir),
                "counts": {label: vars(t) for label, t in report.tallies.items()},
                "canton_links_changed": report.canton_links_changed,
            },
        )
    report.data_version = departement.data_version
    # Shapes and maps cached in this process are stale now; other processes see the new
    # data version once the transaction commits (geometry.data_version()).
    geometry.invalidate()
    transaction.on_commit(geometry.invalidate)
    report.seconds = time.perf_counter() - started
    return report


def _commune_geometries(
    data: SourceData, report: ImportReport
) -> tuple[dict[tuple[str, str], tuple[BaseGeometry, str]], list[str]]:
    """(code, kind) -> (geometry, boundary_source) for every commune that can have one.

    Current communes take their own 2018 polygon, or what ``fallbacks.json`` says (the
    polygon of their former commune nouvelle, or a union of polygons). A delegated or
    associated commune takes the polygon of its own code only when no current commune uses
    that polygon on its own (Calvinet and Mourjou inside Puycapel: yes; Murat inside
    Murat: no, the 2018 polygon already covers the whole commune nouvelle).
    """
    boundary_rules: dict[str, dict[str, Any]] = data.fallbacks.get("boundaries", {})
    result: dict[tuple[str, str], tuple[BaseGeometry, str]] = {}
    used_alone: set[str] = set()
    sources: list[str] = []
    for item in data.communes:
        if item.get("type") != "commune-actuelle":
            continue
        code = item["code"]
        rule = boundary_rules.get(code)
        if rule:
            feature_codes = [str(c) for c in rule.get("features", [])]
            missing = [c for c in feature_codes if c not in data.commune_features]
            if missing or not feature_codes:
                report.warnings.append(f"fallbacks.json, commune {code} : contours introuvables {missing}.")
                continue
            geom = unary_union([data.commune_features[c][1] for c in feature_codes])
            source = rule.get("source") or f"Contour(s) 2018 de {', '.join(feature_codes)}"
            result[(code, Commune.Kind.ACTUELLE)] = (geom, source)
            sources.append(f"{code} {item['nom']} : {source}")
            if len(feature_codes) == 1:
                used_alone.add(feature_codes[0])
        elif code in data.commune_features:
            result[(code, Commune.Kind.ACTUELLE)] = (data.commune_features[code][1], "")
            used_alone.add(code)
            props = data.commune_features[code][0]
            if props.get("nom") and props["nom"] != item["nom"]:
                report.names_from_cog += 1
        else:
            report.warnings.append(
                f"commune {code} {item['nom']} : aucun contour (ajoutez une règle dans fallbacks.json)."
            )
    for item in data.communes:
        kind = KIND_BY_COG_TYPE.get(str(item.get("type")))
        if kind in (None, Commune.Kind.ACTUELLE):
            continue
        code = item["code"]
        if code in data.commune_features and code not in used_alone:
            result[(code, kind)] = (data.commune_features[code][1], "")
    return result, sources


def _match_arrondissement(
    item: dict[str, Any], data: SourceData, commune_geometries: dict[tuple[str, str], tuple[BaseGeometry, str]]
) -> BaseGeometry | None:
    """The geojson arrondissement of a COG arrondissement: same name, else contains its chef-lieu."""
    wanted = normalise(item.get("nom"))
    for props, geom in data.arrondissement_features:
        if normalise(props.get("nom")) == wanted:
            return geom
    chef_lieu = commune_geometries.get((item.get("chefLieu", ""), Commune.Kind.ACTUELLE))
    if chef_lieu is not None:
        point = chef_lieu[0].representative_point()
        for _props, geom in data.arrondissement_features:
            if geom.contains(point):
                return geom
    return None


def _sync_communes(
    data: SourceData,
    departement: Departement,
    arrondissements: dict[str, Arrondissement],
    epci_of_commune: dict[str, Epci],
    commune_geometries: dict[tuple[str, str], tuple[BaseGeometry, str]],
    report: ImportReport,
) -> dict[tuple[str, str], Commune]:
    existing = {(c.insee_code, c.kind): c for c in Commune.objects.filter(departement=departement)}
    # Slugs of other départements' communes and of rows we will not touch stay reserved.
    known = {(c["code"], KIND_BY_COG_TYPE.get(str(c.get("type")))) for c in data.communes}
    taken = set(Commune.objects.exclude(departement=departement).values_list("slug", flat=True))
    taken |= {c.slug for key, c in existing.items() if key not in known}

    def order(item: dict[str, Any]) -> tuple[int, str]:
        return (0 if item.get("type") == "commune-actuelle" else 1, item["code"])

    result: dict[tuple[str, str], Commune] = {}
    tally = report.tally("communes")
    for item in sorted(data.communes, key=order):
        kind = KIND_BY_COG_TYPE.get(str(item.get("type")))
        if kind is None:
            report.warnings.append(f"commune {item['code']} : type inconnu {item.get('type')!r}, ignorée.")
            continue
        code = item["code"]
        parent = None
        if kind != Commune.Kind.ACTUELLE:
            parent = result.get((item.get("chefLieu", ""), Commune.Kind.ACTUELLE))
            if parent is None:
                report.warnings.append(f"commune {code} {item['nom']} : commune de rattachement introuvable.")
        base_slug = slugify(item["nom"])
        if kind == Commune.Kind.DELEGUEE:
            base_slug = f"{base_slug}-deleguee"
        elif kind == Commune.Kind.ASSOCIEE:
            base_slug = f"{base_slug}-associee"
        postal_codes = list(item.get("codesPostaux", []))
        geom_source = commune_geometries.get((code, kind))
        if geom_source is not None:
            geom, boundary_source = geom_source
            boundary = geometry_to_text(geom)
            latitude, longitude = _point_of(geom)
        else:
            boundary, boundary_source, latitude, longitude = "", "", None, None
        epci = epci_of_commune.get(code) if parent is None else epci_of_commune.get(parent.insee_code)
        arrondissement = arrondissements.get(item.get("arrondissement", ""))
        result[(code, kind)] = _sync(
            existing,
            Commune,
            (code, kind),
            {"insee_code": code, "kind": kind},
            {
                "name": item["nom"],
                "slug": _unique_slug(base_slug, taken, code),
                "parent_id": parent.pk if parent else None,
                "departement_id": departement.pk,
                "arrondissement_id": arrondissement.pk if arrondissement else None,
                "epci_id": epci.pk if epci else None,
                "siren": item.get("siren", ""),
                "postal_codes": postal_codes,
                "population": item.get("population"),
                "latitude": latitude,
                "longitude": longitude,
                "boundary": boundary,
                "boundary_source": boundary_source,
                "search_text": normalise(" ".join([item["nom"], *postal_codes])),
            },
            tally,
        )
    return result


def _link_cantons(
    data: SourceData,
    communes: dict[tuple[str, str], Commune],
    commune_geometries: dict[tuple[str, str], tuple[BaseGeometry, str]],
    cantons: list[Canton],
    canton_shapes: list[BaseGeometry],
    canton_tree: STRtree,
    min_share: float,
    report: ImportReport,
) -> None:
    """A commune belongs to every canton covering at least ``min_share`` of its area.

    A commune with no polygon of its own (a delegated commune inside a commune nouvelle)
    inherits its parent's canton when the parent lies in exactly one canton.
    """
    wanted: dict[int, set[int]] = {}
    parent_of: dict[int, int] = {}
    for (code, kind), commune in communes.items():
        geom_source = commune_geometries.get((code, kind))
        if geom_source is None:
            if commune.parent_id:
                parent_of[commune.pk] = commune.parent_id
            continue
        shares = _canton_shares(geom_source[0], canton_tree, canton_shapes)
        chosen = [(i, s) for i, s in shares if s >= min_share] or shares[:1]
        chosen_indexes = {i for i, _ in chosen}
        ignored = [(i, s) for i, s in shares if i not in chosen_indexes and s >= SLIVER_FLOOR]
        report.ignored_slivers += len(ignored)
        wanted[commune.pk] = {cantons[i].pk for i in chosen_indexes}
        if len(chosen) > 1 and kind == Commune.Kind.ACTUELLE:
            parts = ", ".join(f"{cantons[i].name} {_percent(s)}" for i, s in chosen)
            line = f"{commune.name} ({code}) : {parts}"
            if ignored:
                line += " (ignoré : " + ", ".join(f"{cantons[i].name} {_percent(s, 1)}" for i, s in ignored) + ")"
            report.multi_canton.append(line)
    for commune_pk, parent_pk in parent_of.items():
        parent_cantons = wanted.get(parent_pk, set())
        wanted[commune_pk] = set(parent_cantons) if len(parent_cantons) == 1 else set()

    through = Commune.cantons.through
    current: dict[int, set[int]] = {}
    for commune_id, canton_id in through.objects.filter(commune_id__in=list(wanted)).values_list(
        "commune_id", "canton_id"
    ):
        current.setdefault(commune_id, set()).add(canton_id)
    to_add: list[Any] = []
    to_remove: list[tuple[int, int]] = []
    for commune_pk, canton_pks in wanted.items():
        have = current.get(commune_pk, set())
        to_add.extend(through(commune_id=commune_pk, canton_id=pk) for pk in canton_pks - have)
        to_remove.extend((commune_pk, pk) for pk in have - canton_pks)
    if to_add:
        through.objects.bulk_create(to_add)
    for commune_pk, canton_pk in to_remove:
        through.objects.filter(commune_id=commune_pk, canton_id=canton_pk).delete()
    report.canton_links_changed = len(to_add) + len(to_remove)

    for (code, kind), commune in communes.items():
        if kind == Commune.Kind.ACTUELLE and not wanted.get(commune.pk):
            report.current_without_canton.append(f"{code} {commune.name}")
    if report.current_without_canton:
        report.warnings.append("communes actuelles sans canton : " + ", ".join(report.current_without_canton))
