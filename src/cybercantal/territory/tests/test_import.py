"""The import: counts, idempotency, the data traps of SOURCES.md, another département."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, box, mapping

from cybercantal.core.models import JournalEntry
from cybercantal.territory import geometry
from cybercantal.territory.models import Arrondissement, Canton, Commune, Departement, Epci, Region
from cybercantal.territory.services import DATA_DIR, territory_import

FALLBACK_CODES = ["15031", "15035", "15047", "15171"]


def snapshot() -> dict:
    """Every value of every territory row, plus the commune-canton links."""
    return {
        "regions": list(Region.objects.order_by("pk").values()),
        "departements": list(Departement.objects.order_by("pk").values()),
        "arrondissements": list(Arrondissement.objects.order_by("pk").values()),
        "epci": list(Epci.objects.order_by("pk").values()),
        "cantons": list(Canton.objects.order_by("pk").values()),
        "communes": list(Commune.objects.order_by("pk").values()),
        "links": list(
            Commune.cantons.through.objects.order_by("commune_id", "canton_id").values_list("commune_id", "canton_id")
        ),
    }


def current(code: str) -> Commune:
    return Commune.objects.get(insee_code=code, kind=Commune.Kind.ACTUELLE)


@pytest.fixture
def fresh_geometry():
    geometry.invalidate()
    yield
    geometry.invalidate()


def test_counts(territory):
    assert Region.objects.get().code == "84"
    assert territory.code == "15"
    assert territory.name == "Cantal"
    assert Arrondissement.objects.count() == 3
    assert Epci.objects.count() == 10
    assert Canton.objects.count() == 15
    assert Commune.objects.current().count() == 250
    assert Commune.objects.filter(kind=Commune.Kind.DELEGUEE).count() == 12
    assert Commune.objects.filter(kind=Commune.Kind.ASSOCIEE).count() == 6


def test_second_import_changes_nothing(territory):
    before = snapshot()
    out = io.StringIO()
    call_command("territory_import", stdout=out)
    assert snapshot() == before
    text = out.getvalue()
    assert "communes : 268 (0 créé(s), 0 mis à jour, 268 inchangé(s))" in text
    assert "liens commune-canton modifiés : 0" in text
    assert "ATTENTION" not in text


def test_import_repairs_what_was_changed_and_keeps_unknown_rows(territory):
    version = Departement.objects.get(code="15").data_version
    aurillac = current("15014")
    Commune.objects.filter(pk=aurillac.pk).update(name="Orlhac", search_text="")
    aurillac.cantons.clear()
    ghost = Commune.objects.create(
        insee_code="15999", name="Commune disparue", slug="commune-disparue", departement=territory
    )
    report = territory_import()
    aurillac.refresh_from_db()
    assert aurillac.name == "Aurillac"
    assert aurillac.search_text == " aurillac 15000 "
    assert aurillac.cantons.count() == 3
    assert report.tally("communes").updated == 1
    assert report.canton_links_changed == 3
    assert Commune.objects.filter(pk=ghost.pk).exists()
    assert any("15999" in w for w in report.warnings)
    new_version = Departement.objects.get(code="15").data_version
    assert new_version
    assert new_version != version
    assert JournalEntry.objects.filter(action="territory.imported").exists()


def test_every_current_commune_has_a_canton(territory):
    without = Commune.objects.current().filter(cantons__isnull=True)
    assert list(without.values_list("insee_code", flat=True)) == []
    assert Commune.objects.current().filter(cantons__isnull=False).distinct().count() == 250


def test_split_communes(territory):
    assert set(current("15014").cantons.values_list("name", flat=True)) == {"Aurillac-1", "Aurillac-2", "Aurillac-3"}
    assert set(current("15187").cantons.values_list("name", flat=True)) == {"Saint-Flour-1", "Saint-Flour-2"}
    # Simplified borders overlap neighbours by a few percent: no sliver cantons.
    assert current("15011").cantons.count() == 1  # Arnac: 8 % "in" Mauriac
    assert current("15162").cantons.get().name == "Riom-ès-Montagnes"


def test_fallback_boundaries(territory):
    neussargues = current("15141")
    assert neussargues.boundary
    assert neussargues.boundary_source == ""
    for code in FALLBACK_CODES:
        commune = current(code)
        assert commune.boundary == neussargues.boundary
        assert "15141" in commune.boundary_source
        assert commune.latitude is not None
        assert set(commune.cantons.all()) == set(neussargues.cantons.all())


def test_puycapel_covers_calvinet_and_mourjou(territory):
    puycapel = geometry.parse(current("15027").boundary)
    calvinet = geometry.parse(Commune.objects.get(insee_code="15027", kind=Commune.Kind.DELEGUEE).boundary)
    mourjou = geometry.parse(Commune.objects.get(insee_code="15136").boundary)
    assert puycapel.intersection(mourjou).area / mourjou.area > 0.999
    assert puycapel.intersection(calvinet).area / calvinet.area > 0.999
    assert puycapel.area == pytest.approx(calvinet.area + mourjou.area, rel=1e-3)
    assert "15136" in current("15027").boundary_source


def test_names_come_from_the_cog(territory):
    assert current("15050").name == "Le Claux"
    assert current("15268").name == "Le Rouget-Pers"
    assert current("15141").name == "Neussargues-Moissac"
    assert current("15027").name == "Puycapel"


def test_delegated_and_associated_communes(territory):
    calvinet = Commune.objects.get(insee_code="15027", kind=Commune.Kind.DELEGUEE)
    assert calvinet.parent == current("15027")
    assert calvinet.slug == "calvinet-deleguee"
    assert calvinet.boundary  # its own 2018 polygon
    murat = Commune.objects.get(insee_code="15138", kind=Commune.Kind.DELEGUEE)
    assert murat.parent == current("15138")
    assert murat.boundary == ""  # the 2018 polygon 15138 is the whole commune nouvelle
    assert list(murat.cantons.values_list("name", flat=True)) == ["Murat"]  # its parent's only canton
    drignac = Commune.objects.get(insee_code="15062")
    assert drignac.kind == Commune.Kind.ASSOCIEE
    assert drignac.slug == "drignac-associee"
    assert drignac.epci == current("15003").epci


def test_slugs_and_search_text(territory):
    assert current("15162").slug == "riom-es-montagnes"
    assert current("15014").slug == "aurillac"
    assert current("15162").search_text == " riom es montagnes 15400 "
    slugs = list(Commune.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs))
    assert Canton.objects.get(number=10).slug == "riom-es-montagnes"


def test_arrondissements_matched_to_their_outline(territory):
    for code, name, chef_lieu in [
        ("151", "Aurillac", "15014"),
        ("152", "Mauriac", "15120"),
        ("153", "Saint-Flour", "15187"),
    ]:
        arrondissement = Arrondissement.objects.get(code=code)
        assert arrondissement.name == name
        commune = current(chef_lieu)
        assert geometry.parse(arrondissement.boundary).contains(Point(commune.longitude, commune.latitude))
    assert current("15162").arrondissement.code == "152"


def test_epci_only_members_of_the_departement(territory):
    assert current("15132").epci.siren == "246300966"  # Montgreleix, CC du Massif du Sancy (63)
    assert not Commune.objects.filter(insee_code__startswith="63").exists()
    assert current("15014").epci.name == "CA du Bassin d'Aurillac"
    assert Commune.objects.current().filter(epci__isnull=True).count() == 0


def test_centroids_inside_and_coordinates_rounded(territory):
    decimals = re.compile(r"\d\.\d{6,}")
    for commune in Commune.objects.exclude(boundary=""):
        shape = geometry.parse(commune.boundary)
        assert shape.contains(Point(commune.longitude, commune.latitude)), commune.insee_code
        assert not decimals.search(commune.boundary), commune.insee_code
    for canton in Canton.objects.all():
        assert geometry.parse(canton.boundary).contains(Point(canton.longitude, canton.latitude))


def test_postal_codes_and_population(territory):
    aurillac = current("15014")
    assert aurillac.postal_codes == ["15000"]
    assert aurillac.main_postal_code == "15000"
    assert aurillac.population == 26214
    assert Commune.objects.current().filter(population__isnull=True).count() == 0


def test_missing_files_are_a_french_error(tmp_path, territory):
    before = snapshot()
    with pytest.raises(CommandError, match="Fichiers manquants"):
        call_command("territory_import", "--source", str(tmp_path), verbosity=0)
    assert snapshot() == before


def test_bad_min_share_is_refused(db):
    with pytest.raises(CommandError, match="min-share"):
        call_command("territory_import", "--min-share", "1.5", verbosity=0)


def test_unknown_departement_without_data(db):
    with pytest.raises(CommandError, match="Dossier de données introuvable"):
        call_command("territory_import", "--departement", "99", verbosity=0)


def test_broken_file_changes_nothing(tmp_path, territory):
    source = tmp_path / "15"
    shutil.copytree(DATA_DIR / "15", source)
    data = json.loads((source / "communes-15.json").read_text())
    for entry in data:
        entry["nom"] = entry["nom"].upper()
    (source / "communes-15.json").write_text(json.dumps(data))
    (source / "cantons-15.geojson").write_text("{ pas du json")
    before = snapshot()
    with pytest.raises(CommandError, match="illisible"):
        call_command("territory_import", "--source", str(source), verbosity=0)
    assert snapshot() == before


def test_failure_midway_rolls_back(tmp_path, territory, monkeypatch):
    from cybercantal.territory import services

    source = tmp_path / "15"
    shutil.copytree(DATA_DIR / "15", source)
    data = json.loads((source / "communes-15.json").read_text())
    for entry in data:
        entry["nom"] = entry["nom"].upper()
    (source / "communes-15.json").write_text(json.dumps(data))
    before = snapshot()

    def explode(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(services, "_link_cantons", explode)
    with pytest.raises(RuntimeError):
        territory_import(source_dir=source)
    assert snapshot() == before


# --- another département, from synthetic files of the same kinds ---------------------------


def _feature(code: str, nom: str, geom) -> dict:
    return {"type": "Feature", "properties": {"code": code, "nom": nom}, "geometry": mapping(geom)}


def _write(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def departement_98(tmp_path) -> Path:
    """Département 98 (invented): two cantons side by side, four communes, one split."""
    west, east = box(10.0, 40.0, 10.5, 40.5), box(10.5, 40.0, 11.0, 40.5)
    communes = {
        "98001": ("Ville-Centre", box(10.3, 40.2, 10.7, 40.4)),  # 50/50 over both cantons
        "98002": ("Bourg-Ouest", box(10.0, 40.0, 10.3, 40.5)),
        "98003": ("Val-Est", box(10.7, 40.0, 11.0, 40.5)),
        "98004": ("Hameau", box(10.3, 40.0, 10.7, 40.2)),  # no polygon of its own: fallback to 98004+98005
    }
    source = tmp_path / "98"
    source.mkdir()
    _write(source / "region-99.json", {"code": "99", "nom": "Région d'essai", "chefLieu": "98001"})
    _write(source / "departement-98.json", {"code": "98", "region": "99", "chefLieu": "98001", "nom": "Essai"})
    _write(
        source / "arrondissements-98.json",
        [{"code": "981", "departement": "98", "region": "99", "chefLieu": "98001", "nom": "Centre"}],
    )
    entries = [
        {
            "code": code,
            "nom": nom,
            "type": "commune-actuelle",
            "departement": "98",
            "arrondissement": "981",
            "codesPostaux": ["98100"],
            "population": 100 * i,
        }
        for i, (code, (nom, _geom)) in enumerate(communes.items(), start=1)
    ]
    entries.append(
        {"code": "98009", "nom": "Ancien-Village", "type": "commune-deleguee", "chefLieu": "98002", "departement": "98"}
    )
    entries.append({"code": "99001", "nom": "Ailleurs", "type": "commune-actuelle", "departement": "99"})
    _write(source / "communes-98.json", entries)
    _write(
        source / "epci-98.json",
        [
            {
                "code": "200000001",
                "nom": "CC d'Essai",
                "type": "CC",
                "populationMunicipale": 1000,
                "membres": [{"code": c} for c in communes] + [{"code": "99001"}],
            },
            {"code": "200000002", "nom": "CC d'Ailleurs", "type": "CC", "membres": [{"code": "99001"}]},
        ],
    )
    outline = box(10.0, 40.0, 11.0, 40.5)
    _write(source / "departement-98.geojson", _feature("98", "Essai", outline))
    _write(
        source / "arrondissements-98.geojson",
        {"type": "FeatureCollection", "features": [_feature("98001", "Centre", outline)]},
    )
    _write(
        source / "cantons-98.geojson",
        {"type": "FeatureCollection", "features": [_feature("98001", "Ouest", west), _feature("98002", "Est", east)]},
    )
    features = [_feature(code, nom, geom) for code, (nom, geom) in communes.items() if code != "98004"]
    features.append(_feature("98005", "Hameau-Ancien", box(10.3, 40.0, 10.7, 40.2)))
    _write(source / "communes-98.geojson", {"type": "FeatureCollection", "features": features})
    _write(
        source / "fallbacks.json",
        {"boundaries": {"98004": {"features": ["98005"], "source": "Contour de l'ancienne commune 98005."}}},
    )
    return source


def test_another_departement(departement_98, db, fresh_geometry):
    out = io.StringIO()
    call_command("territory_import", "--source", str(departement_98), "--departement", "98", stdout=out)
    departement = Departement.objects.get(code="98")
    assert departement.region.name == "Région d'essai"
    assert Canton.objects.filter(departement=departement).count() == 2
    assert Canton.objects.get(code="98001").number == 1
    assert Commune.objects.filter(departement=departement).count() == 5
    assert not Commune.objects.filter(insee_code="99001").exists()
    assert Epci.objects.filter(siren="200000001").exists()
    assert not Epci.objects.filter(siren="200000002").exists()
    centre = Commune.objects.get(insee_code="98001")
    assert set(centre.cantons.values_list("name", flat=True)) == {"Ouest", "Est"}
    assert set(Commune.objects.get(insee_code="98003").cantons.values_list("name", flat=True)) == {"Est"}
    hameau = Commune.objects.get(insee_code="98004")
    assert hameau.boundary_source == "Contour de l'ancienne commune 98005."
    assert Arrondissement.objects.get(code="981").boundary
    delegated = Commune.objects.get(insee_code="98009")
    assert delegated.parent.insee_code == "98002"
    assert list(delegated.cantons.values_list("name", flat=True)) == ["Ouest"]
    assert "Ville-Centre (98001) : Ouest 50" in out.getvalue()
    # The second run changes nothing.
    before = snapshot()
    call_command("territory_import", "--source", str(departement_98), "--departement", "98", verbosity=0)
    assert snapshot() == before


def test_commune_without_polygon_is_reported(departement_98, db, fresh_geometry):
    (departement_98 / "fallbacks.json").unlink()
    out, err = io.StringIO(), io.StringIO()
    call_command("territory_import", "--source", str(departement_98), "--departement", "98", stdout=out, stderr=err)
    assert "98004 Hameau : aucun contour" in out.getvalue()
    assert "sans canton" in err.getvalue()
