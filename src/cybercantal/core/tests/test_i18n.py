"""French by default, English through the language form, and a complete English catalogue.

The catalogue tests read ``locale/en/LC_MESSAGES/django.po`` (and the committed ``.mo``):
a string that is added to the code but not extracted, not translated, left fuzzy, or not
compiled makes one of them fail with the command to run (see docs/traductions.md).
"""

from __future__ import annotations

import ast
import gettext
import html as htmllib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cybercantal.places.tests.factories import PlaceFactory

LOCALE_DIR = Path(settings.PACKAGE_DIR) / "locale"
PO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
HOW_TO = "see docs/traductions.md (make messages, translate, make messages again, commit the .po and the .mo)"


@pytest.fixture(autouse=True)
def _restore_language():
    """A request in English must not leave English active for the next test."""
    language = translation.get_language()
    yield
    translation.activate(language)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return htmllib.unescape(response.content.decode())


def switch_to_english(client) -> None:
    """What a visitor does: the footer's language form, posted without being signed in."""
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Pages -------------------------------------------------------------------------------------


def test_french_is_the_default(client, db):
    html = page(client, "/")

    assert '<html lang="fr">' in html
    assert "Trouver un lieu" in html
    assert "Aller au contenu" in html
    assert "Find a place" not in html


def test_the_footer_offers_the_language_form(client, db):
    html = page(client, "/")

    assert f'action="{reverse("set_language")}"' in html
    assert re.search(r'<option value="en"[^>]*lang="en"', html)


@pytest.fixture
def place(db):
    return PlaceFactory(name="Espace numérique du Lioran")


def test_language_form_switches_the_public_pages_to_english(client, place):
    switch_to_english(client)

    home = page(client, "/")
    assert '<html lang="en">' in home
    assert "Skip to content" in home
    assert "Digital services near you" in home
    assert "Find a place" in home
    assert "Legal notice" in home
    assert "Trouver un lieu" not in home

    directory = page(client, reverse("places:directory"))
    assert '<html lang="en">' in directory
    assert "1 place found" in directory
    assert "Open now" in directory
    assert "All cantons" in directory
    assert "Public digital space (EPN)" in directory
    assert "lieu trouvé" not in directory

    detail = page(client, place.get_absolute_url())
    assert '<html lang="en">' in detail
    assert "Espace numérique du Lioran" in detail  # names are data, never translated
    assert "Opening hours this week" in detail
    assert "Monday" in detail
    assert "Access and accessibility" in detail
    assert re.search(r"Open · closes|Closed · opens", detail)
    assert "Horaires de cette semaine" not in detail

    sign_in = page(client, reverse("account_login"))
    assert '<html lang="en">' in sign_in
    assert "<title>Sign in — CyberCantal</title>" in sign_in
    assert "No account yet?" in sign_in
    assert "Create an account" in sign_in
    assert "Pas encore de compte" not in sign_in


def test_the_choice_can_be_undone(client, db):
    switch_to_english(client)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})

    html = page(client, "/")
    assert '<html lang="fr">' in html
    assert "Trouver un lieu" in html


# --- The catalogue -----------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def read_po(path: Path) -> list[Entry]:
    """The entries of a PO file (header excluded, obsolete ``#~`` entries included as such)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    for number, raw in enumerate([*path.read_text(encoding="utf-8").splitlines(), ""], start=1):
        line = raw.strip()
        if line.startswith("#~"):
            current.flags.add("obsolete")
            line = line[2:].strip()
        if not line or (line.startswith("#") and target is not None and target[0] == "msgstr"):
            if target is not None:
                entries.append(current)
            current, target = Entry(), None
            if not line:
                continue
        if line.startswith("#,"):
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            keyword, index, text = match.groups()
            value = ast.literal_eval(text)
            if keyword == "msgid":
                current.line = number
            target = (keyword, int(index or 0))
        elif line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{number}: unreadable line {raw!r}")
        keyword, index = target
        if keyword == "msgstr":
            current.msgstr[index] = current.msgstr.get(index, "") + value
        else:
            setattr(current, keyword, (getattr(current, keyword) or "") + value)
    return [entry for entry in entries if entry.msgid != ""]


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: {HOW_TO}"
    entries = read_po(PO_PATH)
    assert len(entries) > 500, "the English catalogue looks truncated"
    return entries


def test_po_reader_reads_plurals_contexts_and_flags(tmp_path):
    """The little reader above must be right, or the other tests prove nothing."""
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid "%(n)s lieu"\nmsgid_plural "%(n)s lieux"\n'
        'msgstr[0] "%(n)s place"\nmsgstr[1] ""\n"%(n)s places"\n\n'
        '#, fuzzy\nmsgctxt "porte"\nmsgid "Fermé"\nmsgstr "Closed"\n\n'
        'msgid ""\n"deux "\n"lignes"\nmsgstr ""\n\n'
        '#~ msgid "ancien"\n#~ msgstr "old"\n',
        encoding="utf-8",
    )

    plural, fuzzy, untranslated, obsolete = read_po(po)

    assert plural.msgid_plural == "%(n)s lieux"
    assert plural.msgstr == {0: "%(n)s place", 1: "%(n)s places"}
    assert "python-format" in plural.flags
    assert (fuzzy.key, fuzzy.flags) == ("porte\x04Fermé", {"fuzzy"})
    assert untranslated.msgid == "deux lignes"
    assert untranslated.msgstr == {0: ""}
    assert "obsolete" in obsolete.flags


def test_every_string_is_translated_and_none_is_fuzzy(catalogue):
    expected_forms = {0, 1}
    problems = [
        f"line {entry.line}: {entry.msgid[:70]!r}"
        for entry in catalogue
        if "fuzzy" in entry.flags
        or "obsolete" in entry.flags
        or set(entry.msgstr) != (expected_forms if entry.msgid_plural is not None else {0})
        or not all(text.strip() for text in entry.msgstr.values())
    ]

    assert problems == [], f"untranslated, fuzzy or obsolete entries in {PO_PATH.name} ({HOW_TO}):\n" + "\n".join(
        problems
    )


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|%%|\{\w*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][\w-]*")


def test_placeholders_and_html_tags_are_kept(catalogue):
    problems = []
    for entry in catalogue:
        pairs = [(entry.msgid, entry.msgstr.get(0, ""))]
        if entry.msgid_plural is not None:
            pairs.append((entry.msgid_plural, entry.msgstr.get(1, "")))
        for source, translated in pairs:
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(translated)):
                problems.append(f"line {entry.line}: placeholders of {source!r} -> {translated!r}")
            if sorted(HTML_TAG.findall(source)) != sorted(HTML_TAG.findall(translated)):
                problems.append(f"line {entry.line}: HTML tags of {source!r} -> {translated!r}")

    assert problems == [], "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po(catalogue):
    """The .mo is committed (a fresh machine has no gettext): it must be compiled from this .po."""
    assert MO_PATH.exists(), f"{MO_PATH.name} is missing: {HOW_TO}"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]

    stale = []
    for entry in catalogue:
        if entry.msgid_plural is None:
            if compiled.get(entry.key) != entry.msgstr.get(0):
                stale.append(entry.msgid)
        elif any(compiled.get((entry.key, index)) != text for index, text in entry.msgstr.items()):
            stale.append(entry.msgid)

    assert stale == [], f"{MO_PATH.name} is out of date ({HOW_TO}): " + ", ".join(repr(s[:50]) for s in stale[:10])


def test_english_is_served_from_the_compiled_catalogue(db):
    with translation.override("en"):
        assert translation.gettext("Trouver un lieu") == "Find a place"
        assert translation.ngettext("%(n)d rôle terminé.", "%(n)d rôles terminés.", 2) % {"n": 2} == "2 roles ended."
    with translation.override("fr"):
        assert translation.gettext("Trouver un lieu") == "Trouver un lieu"


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msgmerge", "msguniq")),
    reason="GNU gettext is not installed: the extraction cannot be checked on this machine",
)
def test_the_catalogue_holds_every_string_of_the_code(catalogue, tmp_path, monkeypatch, settings):
    """Extract the strings from a copy of the code: none may be missing from the catalogue."""
    copy = tmp_path / "cybercantal"
    shutil.copytree(
        settings.PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo"),
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)

    call_command("makemessages", locale=["en"], ignore_patterns=["*/tests/*"], no_obsolete=True, verbosity=0)

    extracted = {entry.key for entry in read_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")}
    committed = {entry.key for entry in catalogue}
    missing = sorted(extracted - committed)
    gone = sorted(committed - extracted)
    assert missing == [], f"strings not yet in the catalogue ({HOW_TO}):\n" + "\n".join(map(repr, missing))
    assert gone == [], f"strings no longer in the code ({HOW_TO}):\n" + "\n".join(map(repr, gone))
