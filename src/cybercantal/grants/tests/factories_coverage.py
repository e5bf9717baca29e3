"""Factories and helpers of the coverage tests: the sample files, CSV files made on the fly,
editions with buildings."""

from __future__ import annotations

import gzip as gzip_module
import io

import factory

from cybercantal.territory.models import Commune

from ..demo.coverage import sample_files
from ..models import Building, CommuneCoverage, CoverageEdition, SpeedClass
from ..services.coverage import CoverageFile, coverage_import, street_key

BASE_IMB_HEADER = [
    "imb_id",
    "imb_x",
    "imb_y",
    "imb_code",
    "imb_code_insee",
    "imb_nbr_logloc",
    "imb_source",
    "imb_type",
    "addr_code",
    "imb_num",
    "addr_numero",
    "addr_rep",
    "addr_nom_voie",
    "addr_nom_ld",
    "addr_code_insee",
    "addr_nom_commune",
    "addr_id_fantoir",
    "addr_source",
]
ACTUEL_HEADER = [
    "imb_id",
    "addr_code",
    "imb_code",
    "code_operateur",
    "code_techno",
    "classe_debit_montant",
    "classe_debit_descendant",
    "limitation",
    "saturation",
]
COMMUNE_HEADER = [
    "code_insee",
    "nom_com",
    "code_dep",
    "code_reg",
    "type",
    "nbr",
    "inel_hd",
    "elig_hd3",
    "elig_bhd8",
    "elig_thd30",
    "elig_thd100",
    "elig_thd1g",
    "date",
]


def import_sample(*, quarter: str = "2026T2", actor=None):  # type: ignore[no-untyped-def]
    return coverage_import(actor=actor, quarter=quarter, **sample_files())


def csv_bytes(header: list[str], rows: list[list[object]], *, sep: str = ";", encoding: str = "utf-8") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(cell) for cell in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def csv_file(
    name: str,
    header: list[str],
    rows: list[list[object]],
    *,
    sep: str = ";",
    encoding: str = "utf-8",
    gzip: bool = False,
) -> CoverageFile:
    content = csv_bytes(header, rows, sep=sep, encoding=encoding)
    if gzip:
        content = gzip_module.compress(content)
    return CoverageFile(name=name, handle=io.BytesIO(content))


def building_row(imb_id: str, insee: str, number: object, street: str, **overrides: object) -> list[object]:
    values: dict[str, object] = {
        "imb_id": imb_id,
        "imb_x": "328690.09",
        "imb_y": "5613194.42",
        "imb_code": f"IMB/{insee}/X/{imb_id}",
        "imb_code_insee": insee,
        "imb_nbr_logloc": 1,
        "imb_source": "fpban",
        "imb_type": "PA",
        "addr_code": f"{insee}_0010_{number or 99999}",
        "imb_num": "",
        "addr_numero": number,
        "addr_rep": "",
        "addr_nom_voie": street,
        "addr_nom_ld": "",
        "addr_code_insee": insee,
        "addr_nom_commune": "",
        "addr_id_fantoir": "0010",
        "addr_source": "ban",
    }
    values.update(overrides)
    return [values[column] for column in BASE_IMB_HEADER]


def actuel_row(imb_id: str, techno: str, speed: str, operator: str = "FRTE") -> list[object]:
    return [imb_id, "", "", operator, techno, "HD05", speed, "", "false"]


def commune_row(insee: str, by_class: dict[str, int], **overrides: object) -> list[object]:
    order = ("INEL", "HD05", "HD3", "BHD8", "THD30", "THD100", "THD1G")
    total = sum(by_class.values())

    def at_least(code: str) -> int:
        return sum(n for c, n in by_class.items() if order.index(c) >= order.index(code))

    values: dict[str, object] = {
        "code_insee": insee,
        "nom_com": "",
        "code_dep": "15",
        "code_reg": "84",
        "type": "all",
        "nbr": total,
        "inel_hd": by_class.get("INEL", 0),
        "elig_hd3": at_least("HD3"),
        "elig_bhd8": at_least("BHD8"),
        "elig_thd30": at_least("THD30"),
        "elig_thd100": at_least("THD100"),
        "elig_thd1g": at_least("THD1G"),
        "date": "2026-06-30",
    }
    values.update(overrides)
    return [values[column] for column in COMMUNE_HEADER]


def commune(name: str) -> Commune:
    return Commune.objects.current().get(name=name)


class CurrentEditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageEdition

    quarter = factory.Sequence(lambda n: f"{2030 + n // 4}T{n % 4 + 1}")
    departement_code = "15"
    is_current = True


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    edition = factory.SubFactory(CurrentEditionFactory)
    imb_id = factory.Sequence(lambda n: f"T{n:08d}")
    commune = factory.LazyFunction(lambda: Commune.objects.current().get(name="Neuvéglise-sur-Truyère"))
    number = "1"
    street = "Route du Bourg"
    street_key = factory.LazyAttribute(lambda o: street_key(o.street))
    premises = 1
    best_class = SpeedClass.HD05
    best_technology = "CU"
    lines = factory.LazyAttribute(
        lambda o: [{"techno": o.best_technology, "classe": o.best_class}] if o.best_technology else []
    )


class CommuneCoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommuneCoverage

    edition = factory.SubFactory(CurrentEditionFactory)
    commune = factory.LazyFunction(lambda: Commune.objects.current().get(name="Neuvéglise-sur-Truyère"))
    premises = factory.LazyAttribute(lambda o: sum(o.by_class.values()))
    by_class = factory.LazyFunction(lambda: {"HD05": 62, "THD1G": 38})
