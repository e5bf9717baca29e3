"""The public directory, as a person uses it (issue 2, "Acceptance, tried as a new user would").

Type "riom es montagnes" and find the places there with today's hours; open one; see which
cantons still lack a kiosk; download the LMN CSV. Each page is checked with axe-core, and
the search is also done with the keyboard alone.

Seed data: the Cantal reference data and the demo places (``directory_data`` fixture).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from e2e.axe import assert_no_violations, axe_check_urls
from e2e.keyboard import assert_focus_visible, tab_to

RIOM_INSEE = "15162"
QUERY = "riom es montagnes"
# Today's hours in plain French: "Ouvert · ferme à 17 h 30", "Fermé · ouvre lundi à 9 h"...
TODAY_HOURS = re.compile(r"Ouvert · ferme .*\d{1,2} h|Fermé · ouvre .*\d{1,2} h|Ouvert 24 h/24")
LMN_REQUIRED_COLUMNS = ["id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj"]
DETAIL_URL = re.compile(r"/lieux/(?!carte/|couverture/|export/)[\w-]+/$")


@pytest.fixture
def riom_places(directory_data: None) -> list:
    from cybercantal.places.models import Place

    places = list(Place.objects.published().filter(commune__insee_code=RIOM_INSEE).order_by("name"))
    assert places, "Les données de démo n'ont aucun lieu publié à Riom-ès-Montagnes"
    return places


def search(page: Page, base_url: str, *, text: str = "", near: str = "") -> None:
    page.goto(base_url + "/lieux/")
    if text:
        page.get_by_label("Rechercher un lieu").fill(text)
    if near:
        page.get_by_label("Près de (commune)").fill(near)
    page.get_by_role("button", name="Rechercher", exact=True).click()
    page.wait_for_url(re.compile("riom", re.IGNORECASE))


def result_headings(page: Page) -> Locator:
    """Each result is a level-2 heading that links to the place."""
    return page.get_by_role("main").get_by_role("heading", level=2).filter(has=page.get_by_role("link"))


def result_heading(page: Page, name: str) -> Locator:
    """The result heading whose link is exactly the place's name."""
    return result_headings(page).filter(has=page.get_by_role("link", name=name, exact=True)).first


def result_card(heading: Locator) -> Locator:
    """The list item or article around a result heading (where its hours are shown)."""
    return heading.locator("xpath=ancestor::*[self::li or self::article][1]")


def check_search_finds_the_places_of_riom_with_todays_hours(page: Page, base_url: str, riom_places: list) -> None:
    search(page, base_url, text=QUERY)

    for place in riom_places:
        heading = result_heading(page, place.name)
        expect(heading).to_be_visible()
        if place.opening_hours:
            expect(result_card(heading)).to_contain_text(TODAY_HOURS)
    assert_no_violations(page)


def check_open_a_place_from_the_results(page: Page, place) -> None:
    result_heading(page, place.name).get_by_role("link").click()

    page.wait_for_url(DETAIL_URL)
    assert page.url.endswith(place.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(place.name)
    if place.opening_hours:
        expect(page.get_by_role("main")).to_contain_text(TODAY_HOURS)
    expect(page.get_by_role("main")).to_contain_text(place.address)
    assert_no_violations(page)


def check_search_near_a_commune_lists_its_places_first(page: Page, base_url: str, riom_places: list) -> None:
    search(page, base_url, near=QUERY)

    expect(result_headings(page).first).to_be_visible()
    first_names = result_headings(page).get_by_role("link").all_inner_texts()[: len(riom_places) + 2]
    riom_names = {place.name for place in riom_places}
    assert any(name.strip() in riom_names for name in first_names), (
        f"Aucun lieu de Riom-ès-Montagnes parmi les premiers résultats : {first_names}"
    )
    assert_no_violations(page)


def check_download_the_lmn_csv_from_the_directory(page: Page, base_url: str, riom_places: list, tmp_path) -> None:
    page.goto(base_url + "/lieux/")
    link = page.locator('a[href$="/lieux/export/lmn.csv"]').first
    expect(link, "/lieux/ doit proposer un lien vers /lieux/export/lmn.csv").to_be_visible()

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows, "L'export LMN est vide"
    assert set(LMN_REQUIRED_COLUMNS) <= set(rows[0]), f"Colonnes : {list(rows[0])}"
    for row in rows:
        missing = [column for column in LMN_REQUIRED_COLUMNS if not (row[column] or "").strip()]
        assert not missing, f"{row['nom']} : champs obligatoires vides {missing}"
    names = {row["nom"] for row in rows}
    assert names & {place.name for place in riom_places}, "Aucun lieu de Riom-ès-Montagnes dans l'export"


def test_a_new_user_finds_riom_opens_a_place_and_downloads_the_lmn_csv(
    page: Page, live_server, riom_places: list, tmp_path
) -> None:
    """The acceptance journey, in one test: the seed data costs seconds, the steps do not."""
    check_search_finds_the_places_of_riom_with_todays_hours(page, live_server.url, riom_places)
    check_open_a_place_from_the_results(page, riom_places[0])
    check_search_near_a_commune_lists_its_places_first(page, live_server.url, riom_places)
    axe_check_urls(page, live_server.url, ["/lieux/carte/", "/lieux/couverture/"])
    check_download_the_lmn_csv_from_the_directory(page, live_server.url, riom_places, tmp_path)


def test_coverage_table_shows_the_cantons_lacking_a_kiosk(page: Page, live_server, directory_data: None) -> None:
    from cybercantal.places.models import Place, PlaceOffer, PlaceStatus
    from cybercantal.territory.models import Canton

    kiosks = Place.objects.published().filter(offers__has=PlaceOffer.KIOSK)
    covered = list(Canton.objects.filter(places__in=kiosks).distinct().order_by("code"))
    assert len(covered) >= 2, "La démo doit mettre une borne dans au moins deux cantons"
    without, still_covered = covered[0], covered[1]
    # The kiosk host of one canton closes: the table must now show that canton lacks one.
    kiosks.filter(canton=without).update(status=PlaceStatus.CLOSED)

    page.goto(live_server.url + "/lieux/couverture/")

    table = page.get_by_role("main").get_by_role("table").filter(has_text=without.name).first
    expect(table).to_be_visible()
    for canton in Canton.objects.all():
        expect(table).to_contain_text(canton.name)
    headers = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
    kiosk_column = next((i for i, text in enumerate(headers) if re.search(r"borne", text, re.IGNORECASE)), None)
    assert kiosk_column is not None, f"Pas de colonne « Borne » dans le tableau de couverture : {headers}"

    def kiosk_cell(canton) -> str:
        name = re.compile(rf"(^|\s){re.escape(canton.name)}(\s|$)")
        row = table.get_by_role("row").filter(has=page.locator("th, td").filter(has_text=name)).first
        return row.locator("th, td").nth(kiosk_column).inner_text().strip()

    lacking, present = kiosk_cell(without), kiosk_cell(still_covered)
    assert lacking, "La cellule « Borne » d'un canton sans borne ne dit rien (le sens ne peut reposer sur la couleur)"
    assert lacking != present, f"« {without.name} » (sans borne) et « {still_covered.name} » affichent « {present} »"
    assert_no_violations(page)


def test_keyboard_only_search_and_open_the_first_result(page: Page, live_server, riom_places: list) -> None:
    page.goto(live_server.url + "/lieux/")

    tab_to(page, page.get_by_label("Rechercher un lieu"))
    assert_focus_visible(page)
    page.keyboard.type(QUERY)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile("riom", re.IGNORECASE))

    first = result_headings(page).first.get_by_role("link")
    expect(first).to_be_visible()
    first_name = first.inner_text().strip()
    assert first_name in {place.name for place in riom_places}
    tab_to(page, first)
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    page.wait_for_url(DETAIL_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(first_name)
