"""Writes the sample ARCEP « Ma connexion internet » files of this folder (made by us, not
downloaded): ``base_imb_15.csv``, ``actuel_15.csv`` and ``commune_debit_filaire.csv``, in the
published format (see LISEZMOI.md). Deterministic: running it again gives the same files.

    .venv/bin/python src/cybercantal/grants/data/arcep/make_sample.py

The story it tells: in Neuvéglise-sur-Truyère the bourg has fibre but the hamlets do not (the
sawmill at 3 Le Bousquet has copper below 3 Mbit/s: eligible); Aurillac, Saint-Flour and
Arpajon have fibre (not eligible); Paulhac has nothing above 3 Mbit/s anywhere (eligible on
the commune statistics alone); the other communes are mixed. Lavigerie, Mauriac and Salers
have commune statistics only (no buildings).
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATE = "2026-06-30"  # end of the 2026T2 quarter
EARTH_RADIUS_M = 6378137.0

# insee, name, latitude, longitude, streets: (street or lieu-dit, numbers, profile)
# A profile is the wired lines of the buildings: {techno: class}; "" numbers = a lieu-dit.
FIBRE = {"FO": "THD1G", "CU": "BHD8"}
FIBRE_CABLE = {"FO": "THD1G", "COAX": "THD100", "CU": "THD30"}
COPPER_30 = {"CU": "THD30"}
COPPER_8 = {"CU": "BHD8"}
COPPER_3 = {"CU": "HD3"}
COPPER_05 = {"CU": "HD05"}
NOTHING: dict[str, str] = {}

COMMUNES = [
    (
        "15142",
        "Neuvéglise-sur-Truyère",
        44.928,
        2.983,
        [
            ("Place de l'Église", range(1, 11), FIBRE),
            ("Route de Chaudes-Aigues", range(1, 21), FIBRE),
            ("Route de Chaudes-Aigues", range(21, 31), COPPER_3),
            ("Rue du Pont", range(1, 13), COPPER_8),
            ("Le Bousquet", range(1, 9), COPPER_05),
            ("Le Bousquet", range(9, 11), NOTHING),
            ("Fraissinet", None, NOTHING),  # lieu-dit without numbers
            ("Lescure", range(1, 7), COPPER_3),
        ],
    ),
    (
        "15014",
        "Aurillac",
        44.926,
        2.440,
        [
            ("Rue des Carmes", range(1, 41), FIBRE_CABLE),
            ("Avenue de la République", range(1, 41), FIBRE),
            ("Rue du Salut", range(1, 21), FIBRE),
            ("Place du Square", range(1, 11), FIBRE_CABLE),
        ],
    ),
    (
        "15187",
        "Saint-Flour",
        45.034,
        3.093,
        [
            ("Rue des Lacs", range(1, 21), FIBRE),
            ("Place d'Armes", range(1, 11), FIBRE),
            ("Avenue du Docteur Mallet", range(1, 16), FIBRE),
        ],
    ),
    ("15012", "Arpajon-sur-Cère", 44.904, 2.457, [("Avenue du Général de Gaulle", range(1, 21), FIBRE)]),
    (
        "15267",
        "Ytrac",
        44.911,
        2.365,
        [("Route de Crandelles", range(1, 16), FIBRE), ("Espinassol", range(1, 6), COPPER_3)],
    ),
    (
        "15138",
        "Murat",
        45.110,
        2.866,
        [("Rue du Faubourg Notre-Dame", range(1, 16), FIBRE), ("Rue de l'Argentière", range(1, 9), COPPER_8)],
    ),
    (
        "15045",
        "Chaudes-Aigues",
        44.855,
        3.004,
        [("Grande Rue", range(1, 16), COPPER_30), ("Le Couffour", range(1, 6), COPPER_05)],
    ),
    (
        "15152",
        "Pierrefort",
        44.921,
        2.838,
        [("Avenue Georges Pompidou", range(1, 13), COPPER_3), ("Le Vialaret", None, NOTHING)],
    ),
    (
        "15148",
        "Paulhac",
        45.005,
        2.905,
        [("Le Bourg", range(1, 11), COPPER_05), ("Belinay", range(1, 5), NOTHING)],
    ),
    (
        "15001",
        "Allanche",
        45.229,
        2.935,
        [("Rue du Commerce", range(1, 13), FIBRE), ("Maillargues", range(1, 5), COPPER_05)],
    ),
    (
        "15114",
        "Marcenat",
        45.307,
        2.830,
        [("Le Bourg", range(1, 11), COPPER_8), ("Le Bru", range(1, 4), COPPER_05)],
    ),
    ("15162", "Riom-ès-Montagnes", 45.282, 2.660, [("Avenue de la Gare", range(1, 11), FIBRE)]),
]

# Commune statistics without buildings: (insee, name, premises per class)
STATS_ONLY = [
    ("15102", "Lavigerie", {"INEL": 31, "HD05": 58}),
    ("15120", "Mauriac", {"THD30": 140, "THD100": 310, "THD1G": 2390}),
    ("15219", "Salers", {"HD05": 40, "HD3": 65, "BHD8": 90, "THD1G": 180}),
]

CLASSES = ("INEL", "HD05", "HD3", "BHD8", "THD30", "THD100", "THD1G")
OPERATORS = {"FO": ("FRTE", "SFR0", "FREE", "BOUY"), "CU": ("FRTE", "SFR0", "FREE"), "COAX": ("SFR0",)}
UPLOAD = {"FO": "THD100", "COAX": "BHD8", "CU": "HD05"}

BASE_IMB_COLUMNS = [
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
ACTUEL_COLUMNS = [
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
COMMUNE_COLUMNS = [
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


def web_mercator(latitude: float, longitude: float) -> tuple[float, float]:
    x = EARTH_RADIUS_M * math.radians(longitude)
    y = EARTH_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(latitude) / 2))
    return round(x, 2), round(y, 2)


def best(profile: dict[str, str]) -> str:
    return max(profile.values(), key=CLASSES.index) if profile else "INEL"


def commune_row(insee: str, name: str, by_class: dict[str, int]) -> list[object]:
    total = sum(by_class.values())

    def at_least(code: str) -> int:
        return sum(n for c, n in by_class.items() if CLASSES.index(c) >= CLASSES.index(code))

    return [
        insee,
        name,
        "15",
        "84",
        "all",
        total,
        by_class.get("INEL", 0),
        *(at_least(code) for code in ("HD3", "BHD8", "THD30", "THD100", "THD1G")),
        DATE,
    ]


def main() -> None:
    rng = random.Random(15)  # noqa: S311 - sample data, not security
    buildings: list[list[object]] = []
    lines: list[list[object]] = []
    stats: list[list[object]] = []
    next_id = 150000001
    for insee, name, latitude, longitude, streets in COMMUNES:
        by_class: dict[str, int] = {}
        for street_index, (street, numbers, profile) in enumerate(streets, start=1):
            fantoir = f"{street_index * 10:04d}" if numbers is not None else f"B{street_index:03d}"
            centre = (latitude + rng.uniform(-0.02, 0.02), longitude + rng.uniform(-0.03, 0.03))
            for number in numbers or [None] * 5:
                imb_id = str(next_id)
                next_id += 1
                x, y = web_mercator(centre[0] + rng.uniform(-0.001, 0.001), centre[1] + rng.uniform(-0.0015, 0.0015))
                premises = 1 if profile in (NOTHING, COPPER_05) else rng.choice((1, 1, 1, 2, 3, 6))
                imb_code = f"IMB/{insee}/X/{int(imb_id) % 65536:04X}"
                addr_code = f"{insee}_{fantoir}_{number if number is not None else 99999:05d}"
                is_place = numbers is None or street in ("Le Bousquet", "Lescure", "Le Couffour", "Belinay")
                buildings.append(
                    [
                        imb_id,
                        x,
                        y,
                        imb_code,
                        insee,
                        premises,
                        "fo" if "FO" in profile else "fpban",
                        "IM" if premises > 2 else "PA",
                        addr_code,
                        "",
                        number if number is not None else "",
                        "",
                        "" if numbers is None else street,
                        street if is_place else "",
                        insee,
                        name,
                        fantoir,
                        "ban",
                    ]
                )
                lines.extend(
                    [imb_id, addr_code, imb_code, operator, techno, UPLOAD[techno], speed, "", "false"]
                    for techno, speed in profile.items()
                    for operator in OPERATORS[techno]
                )
                # Satellite everywhere, fixed 4G in places: read, checked, never counted as wired.
                lines.append([imb_id, addr_code, imb_code, "STAK", "SAT", "BHD8", "THD100", "", "false"])
                lines.append([imb_id, addr_code, imb_code, "NUAT", "SAT", "HD3", "BHD8", "100", "false"])
                if rng.random() < 0.3:
                    lines.append([imb_id, addr_code, imb_code, "BOUY", "4GF", "BHD8", "THD30", "200", "false"])
                by_class[best(profile)] = by_class.get(best(profile), 0) + premises
        stats.append(commune_row(insee, name, by_class))
    for insee, name, by_class in STATS_ONLY:
        stats.append(commune_row(insee, name, by_class))
    stats.sort(key=lambda row: str(row[0]))

    def write(name: str, header: list[str], rows: list[list[object]]) -> None:
        with (HERE / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)

    write("base_imb_15.csv", BASE_IMB_COLUMNS, buildings)
    write("actuel_15.csv", ACTUEL_COLUMNS, lines)
    write("commune_debit_filaire.csv", COMMUNE_COLUMNS, stats)
    print(f"{len(buildings)} immeubles, {len(lines)} lignes d'éligibilité, {len(stats)} communes")


if __name__ == "__main__":
    main()
