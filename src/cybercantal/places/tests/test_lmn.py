"""The LMN schema rules (``validate_row``) and the reading of CSV and JSON files (no database)."""

from __future__ import annotations

import json

import pytest

from cybercantal.places import lmn, schema


def good_row(**changes: str) -> dict[str, str]:
    row = {
        "id": "epn-riom-1",
        "pivot": "21150162400015",
        "nom": "Espace numérique de Riom",
        "commune": "Riom-ès-Montagnes",
        "code_postal": "15400",
        "code_insee": "15162",
        "adresse": "2 place de l'Église",
        "complement_adresse": "1er étage",
        "latitude": "45.2821",
        "longitude": "2.6609",
        "typologie": "EPN|MUNI",
        "telephone": "+33471780000",
        "courriels": "contact@epn-riom.fr|mairie@riom.fr",
        "site_web": "https://www.riom-es-montagnes.fr/epn",
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off",
        "presentation_resume": "Un espace public numérique au cœur du bourg.",
        "presentation_detail": "Ateliers, accès libre, aide aux démarches.",
        "source": "CyberCantal",
        "itinerance": "Fixe",
        "structure_parente": "Commune de Riom-ès-Montagnes",
        "date_maj": "2025-03-31",
        "services": "Aide aux démarches administratives|Accès internet et matériel informatique",
        "publics_specifiquement_adresses": "Seniors",
        "prise_en_charge_specifique": "Surdité|Illettrisme",
        "frais_a_charge": "Gratuit",
        "dispositif_programmes_nationaux": "Conseillers numériques",
        "formations_labels": "Étapes numériques (La Poste)",
        "autres_formations_labels": "Label EPN Cantal",
        "modalites_acces": "Se présenter|Téléphoner",
        "modalites_accompagnement": "En autonomie|Dans un atelier collectif",
        "fiche_acces_libre": "https://acceslibre.beta.gouv.fr/app/15-riom/a/mairie/erp/epn/",
        "prise_rdv": "https://rdv.example.fr/epn-riom",
    }
    row.update(changes)
    return row


def errors_of(row: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in lmn.validate_row(row):
        found.setdefault(error.column, []).append(error.message)
    return found


def test_columns_are_the_32_of_schema_v1_0_2_in_order():
    assert len(lmn.COLUMNS) == 32
    assert lmn.COLUMNS[:7] == ("id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse")
    assert lmn.COLUMNS[-2:] == ("fiche_acces_libre", "prise_rdv")
    assert {"id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"} == lmn.REQUIRED
    assert lmn.ENUMERATIONS["services"] is schema.Service


def test_a_complete_row_is_valid():
    assert lmn.validate_row(good_row()) == []


def test_the_minimum_row_is_valid():
    row = {column: good_row()[column] for column in lmn.REQUIRED}
    assert lmn.validate_row(row) == []


@pytest.mark.parametrize("column", sorted(lmn.REQUIRED))
def test_every_required_column_is_required(column):
    assert "Valeur obligatoire manquante." in errors_of(good_row(**{column: "  "}))[column]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("services", "Aide aux démarches"),
        ("typologie", "MAIRIE"),
        ("itinerance", "Mobile"),
        ("publics_specifiquement_adresses", "Adultes"),
        ("prise_en_charge_specifique", "Surdite"),
        ("frais_a_charge", "Gratuit : je peux accéder gratuitement"),
        ("dispositif_programmes_nationaux", "France services"),
        ("formations_labels", "Étapes numériques(La Poste)"),
        ("modalites_acces", "Sur rendez-vous"),
        ("modalites_accompagnement", "À distance (par téléphone)"),
    ],
)
def test_enumerations_refuse_unknown_values(column, value):
    messages = errors_of(good_row(**{column: value}))[column]
    assert messages == [f"« {value} » n'est pas une valeur admise par le schéma."]


def test_multi_values_are_split_on_the_pipe_and_each_checked():
    assert errors_of(good_row(services="Aide aux démarches administratives | Inventé"))["services"] == [
        "« Inventé » n'est pas une valeur admise par le schéma."
    ]
    assert "Valeur vide entre deux « | »." in errors_of(good_row(itinerance="Fixe||Itinérant"))["itinerance"]
    # The old separator of v0.x is not the separator any more.
    assert "services" in errors_of(good_row(services="Aide aux démarches administratives;Accès internet"))


@pytest.mark.parametrize(
    ("pivot", "valid"),
    [
        ("21150162400015", True),
        ("211 501 624 00015", True),  # spaces are removed, as the reference package does
        ("00000000000000", True),  # the schema's "no number" placeholder
        ("W151000123", True),  # RNA
        ("2115016240001", False),
        ("W15100012", False),
        ("SIRET-INCONNU", False),
    ],
)
def test_pivot_is_a_siret_or_an_rna_number(pivot, valid):
    assert ("pivot" not in errors_of(good_row(pivot=pivot))) is valid


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("code_postal", "1540"),
        ("code_postal", "15 400"),
        ("code_insee", "1516"),
        ("code_insee", "2C004"),
        ("commune", "Riom (15)"),
        ("adresse", "« La Poste »"),
        ("latitude", "quarante-cinq"),
        ("latitude", "95"),
        ("longitude", "-200"),
        ("telephone", "4 71 78 00 00"),
        ("telephone", "+1 555 0100"),
        ("courriels", "contact-at-epn.fr"),
        ("courriels", "contact@epn-riom.fr|x@y"),
        ("courriels", "ab..cd@epn-riom.fr"),
        ("site_web", "https://example.fr/" + "a" * 490),
        ("site_web", "www.riom.fr"),
        ("site_web", "https://riom.fr/a b"),
        ("fiche_acces_libre", "javascript:alert(1)"),
        ("prise_rdv", "ftp://rdv.example.fr"),
        ("horaires", "du lundi au vendredi de 9h à 12h"),
        ("date_maj", "31/03/2025"),
        ("date_maj", "2025-02-30"),
        ("presentation_resume", "x" * 281),
    ],
)
def test_patterns_and_formats(column, value):
    assert column in errors_of(good_row(**{column: value})), value


def test_every_error_carries_column_message_and_value():
    [error] = lmn.validate_row(good_row(code_postal="ABCDE"))
    assert error == lmn.RowError("code_postal", "Le code postal compte exactement 5 chiffres.", "ABCDE")


def test_latitude_and_longitude_go_together():
    assert "longitude" in errors_of(good_row(longitude=""))


@pytest.mark.parametrize(
    ("written", "canonical", "stored"),
    [
        ("04 71 78 00 00", "+33471780000", "04 71 78 00 00"),
        ("04.71.78.00.00", "+33471780000", "04 71 78 00 00"),
        ("+33 (0)4 71 78 00 00", "+33471780000", "04 71 78 00 00"),
        ("0033471780000", "+33471780000", "04 71 78 00 00"),
        ("+262 262 00 00 00", "+262262000000", "+262262000000"),
    ],
)
def test_phone_numbers_are_normalised(written, canonical, stored):
    assert lmn.normalise_phone(written) == canonical
    assert lmn.display_phone(written) == stored
    assert "telephone" not in errors_of(good_row(telephone=written))


def test_decimal_comma_in_coordinates_is_read():
    row = lmn.normalise_row(good_row(latitude="45,2821"))
    assert row["latitude"] == "45.2821"
    assert lmn.validate_row(row) == []


def test_row_to_place_fields_and_back_keep_the_values():
    fields = lmn.row_to_place_fields(good_row())
    assert fields["name"] == "Espace numérique de Riom"
    assert fields["services"] == ["Aide aux démarches administratives", "Accès internet et matériel informatique"]
    assert fields["phone"] == "04 71 78 00 00"
    assert fields["email"] == "contact@epn-riom.fr"  # a place keeps one e-mail
    assert fields["latitude"] == 45.2821
    assert str(fields["date_maj"]) == "2025-03-31"
    assert lmn.row_to_place_fields(good_row(pivot="00000000000000"))["pivot"] == ""


def test_row_to_place_fields_only_touches_the_columns_given():
    fields = lmn.row_to_place_fields(good_row(), columns={"id", "nom"})
    assert fields == {"lmn_id": "epn-riom-1", "name": "Espace numérique de Riom"}


def test_row_to_json_matches_the_reference_transfer_shape():
    item = lmn.row_to_json(good_row(complement_adresse=""))
    assert item["latitude"] == 45.2821
    assert isinstance(item["longitude"], float)
    assert "complement_adresse" not in item  # absent values are left out, as the package does
    assert item["services"] == "Aide aux démarches administratives|Accès internet et matériel informatique"


# --- Reading files -----------------------------------------------------------------------------


def csv_bytes(rows: list[dict[str, str]], *, delimiter: str = ",", columns=lmn.COLUMNS) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def test_csv_utf8_with_bom():
    parsed = lmn.parse_file(("\ufeff" + csv_bytes([good_row()])).encode("utf-8"))
    assert parsed.format == "csv"
    assert parsed.encoding == "utf-8"
    assert parsed.rows[0].data["id"] == "epn-riom-1"
    assert parsed.rows[0].line == 2
    assert lmn.validate_row(parsed.rows[0].data) == []


def test_csv_with_semicolons_is_sniffed():
    parsed = lmn.parse_file(csv_bytes([good_row(), good_row(id="b")], delimiter=";").encode("utf-8"))
    assert parsed.delimiter == ";"
    assert [row.data["id"] for row in parsed.rows] == ["epn-riom-1", "b"]
    assert parsed.rows[0].data["commune"] == "Riom-ès-Montagnes"


def test_csv_in_windows_1252_is_read_and_said():
    content = csv_bytes([good_row(nom="Médiathèque – l’Œil")], delimiter=";").encode("cp1252")
    parsed = lmn.parse_file(content)
    assert parsed.encoding == "windows-1252"
    assert parsed.rows[0].data["nom"] == "Médiathèque – l’Œil"
    assert "Windows-1252" in parsed.notices[0]


def test_csv_in_latin_1_is_read_too():
    content = csv_bytes([good_row(presentation_resume="Un espace au centre du bourg.")]).encode("latin-1")
    assert lmn.parse_file(content).rows[0].data["commune"] == "Riom-ès-Montagnes"


def test_undecodable_bytes_are_refused_in_french():
    content = csv_bytes([good_row()]).encode("utf-8") + b"\x81\x8d\xff"
    with pytest.raises(lmn.FileError, match="UTF-8"):
        lmn.parse_file(content)


def test_a_spreadsheet_is_refused_with_what_to_do():
    with pytest.raises(lmn.FileError, match="CSV UTF-8"):
        lmn.parse_file(b"PK\x03\x04" + b"\x00" * 100)


@pytest.mark.parametrize("content", [b"", b"   \n\r\n", "\ufeff".encode()])
def test_an_empty_file_is_refused(content):
    with pytest.raises(lmn.FileError, match="vide"):
        lmn.parse_file(content)


def test_a_header_without_rows_is_refused():
    with pytest.raises(lmn.FileError, match="aucun lieu"):
        lmn.parse_file(csv_bytes([]).encode())


def test_a_huge_file_is_refused(monkeypatch):
    monkeypatch.setattr(lmn, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(lmn.FileError, match="trop volumineux"):
        lmn.parse_file(csv_bytes([good_row()] * 10).encode())


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(lmn, "MAX_ROWS", 3)
    content = csv_bytes([good_row(id=str(n)) for n in range(4)]).encode()
    with pytest.raises(lmn.FileError, match="plus de 3 lieux"):
        lmn.parse_file(content)
    json_content = json.dumps([lmn.row_to_json(good_row(id=str(n))) for n in range(4)]).encode()
    with pytest.raises(lmn.FileError, match="plus de 3 lieux"):
        lmn.parse_file(json_content)


def test_wrong_columns_are_refused():
    content = b"identifiant,nom_du_lieu,ville\n1,EPN,Aurillac\n"
    with pytest.raises(lmn.FileError, match="colonnes obligatoires absentes : id, pivot, nom, commune, code_postal"):
        lmn.parse_file(content)


def test_unknown_columns_are_ignored_and_said():
    columns = (*lmn.COLUMNS, "cle_ban")
    parsed = lmn.parse_file(csv_bytes([good_row()], columns=columns).encode())
    assert any("cle_ban" in notice for notice in parsed.notices)
    assert "cle_ban" not in parsed.rows[0].data


def test_missing_optional_columns_are_not_provided():
    columns = [column for column in lmn.COLUMNS if column != "horaires"]
    parsed = lmn.parse_file(csv_bytes([good_row()], columns=columns).encode())
    assert "horaires" not in parsed.rows[0].columns
    assert "nom" in parsed.rows[0].columns


def test_line_numbers_count_line_breaks_inside_quoted_cells():
    content = csv_bytes([good_row(presentation_detail="un\ndeux\ntrois"), good_row(id="b", code_postal="1")])
    parsed = lmn.parse_file(content.encode())
    assert [row.line for row in parsed.rows] == [2, 5]
    assert parsed.rows[0].data["presentation_detail"] == "un\ndeux\ntrois"


def test_a_short_line_is_reported_on_its_line():
    content = csv_bytes([good_row()]) + "x,y\r\n"
    parsed = lmn.parse_file(content.encode())
    assert parsed.rows[1].line == 3
    assert parsed.rows[1].errors[0].message == "La ligne compte 2 cellules au lieu de 32."


def test_json_flat_list():
    content = json.dumps([lmn.row_to_json(good_row())], ensure_ascii=False).encode()
    parsed = lmn.parse_file(content)
    assert parsed.format == "json"
    assert parsed.rows[0].errors == []
    assert lmn.validate_row(parsed.rows[0].data) == []
    assert parsed.rows[0].data["latitude"] == "45.2821"


def test_json_nested_model_shape_is_flattened():
    item = {
        "id": "x-1",
        "pivot": "00000000000000",
        "nom": "EPN",
        "adresse": {"voie": "1 rue Neuve", "code_postal": "15000", "code_insee": "15014", "commune": "Aurillac"},
        "localisation": {"latitude": 44.93, "longitude": 2.44},
        "contact": {"telephone": "+33471000000", "courriels": ["contact@epn-aurillac.fr"]},
        "presentation": {"resume": "Court."},
        "typologies": ["EPN"],
        "services": ["Aide aux démarches administratives"],
        "date_maj": "2025-01-02T00:00:00.000Z",
    }
    [row] = lmn.parse_file(json.dumps([item]).encode()).rows
    assert row.errors == []
    assert row.data["adresse"] == "1 rue Neuve"
    assert row.data["commune"] == "Aurillac"
    assert row.data["courriels"] == "contact@epn-aurillac.fr"
    assert row.data["typologie"] == "EPN"
    assert row.data["date_maj"] == "2025-01-02"
    assert lmn.validate_row(row.data) == []


def test_json_wrong_types_are_reported_per_field():
    item = lmn.row_to_json(good_row())
    item.update({"nom": 12, "latitude": "45.2", "services": [1, 2], "adresse": True})
    [row] = lmn.parse_file(json.dumps([item]).encode()).rows
    columns = {error.column: error.message for error in row.errors}
    assert columns == {
        "nom": "Texte attendu.",
        "latitude": "Nombre attendu (sans guillemets).",
        "services": "Liste de textes attendue.",
        "adresse": "Texte attendu.",
    }


def test_json_that_is_not_a_list_of_places_is_refused():
    with pytest.raises(lmn.FileError, match="liste de lieux"):
        lmn.parse_file(b'{"id": "x"}')
    with pytest.raises(lmn.FileError, match="mal formé"):
        lmn.parse_file(b'[{"id": "x",}]')
    with pytest.raises(lmn.FileError, match="ne suivent pas le schéma"):
        lmn.parse_file(b'[{"name": "x"}]')
    [row] = lmn.parse_file(b'[{"id": "x"}, 3]').rows[1:]
    assert row.errors[0].message == "Chaque lieu doit être un objet JSON { … }."


def test_a_nul_character_is_reported_on_its_column_and_removed():
    """PostgreSQL cannot store a NUL character: the row is refused, never sent to the database."""
    errors = lmn.validate_row(good_row(nom="Espace\x00 numérique"))
    assert [(e.column, e.message) for e in errors] == [
        ("nom", "Cette valeur contient un caractère nul (invisible) : retirez-le du fichier.")
    ]
    assert "\x00" not in errors[0].value
    assert lmn.normalise_row(good_row(nom="Espace\x00 numérique"))["nom"] == "Espace numérique"
