"""French plurals: "0 jour", not "0 jours" (see docs/traductions.md, « Pluriels en français »).

The code is written in French, but without a French catalogue ``ngettext`` uses the English rule
(singular only for n == 1). ``locale/fr/LC_MESSAGES/django.po``, written by
``tools/french_plurals.py`` from the English catalogue, holds every plural entry translated to
itself under ``Plural-Forms: nplurals=2; plural=(n > 1);``.
"""

from __future__ import annotations

import gettext
import importlib.util
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from cybercantal.core.tests.test_i18n import PO_PATH as EN_PO_PATH
from cybercantal.core.tests.test_i18n import Entry, read_po

FR_PO_PATH = Path(settings.PACKAGE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
FR_MO_PATH = FR_PO_PATH.with_suffix(".mo")
TOOL = Path(settings.PACKAGE_DIR).parent.parent / "tools" / "french_plurals.py"
HOW_TO = "run `make messages` and commit locale/fr/LC_MESSAGES/django.po and django.mo (docs/traductions.md)"


@pytest.fixture(autouse=True)
def _restore_language():
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture(scope="module")
def english_plurals() -> list[Entry]:
    return [entry for entry in read_po(EN_PO_PATH) if entry.msgid_plural is not None]


@pytest.fixture(scope="module")
def french() -> list[Entry]:
    assert FR_PO_PATH.exists(), f"{FR_PO_PATH} is missing: {HOW_TO}"
    return read_po(FR_PO_PATH)


def test_the_french_catalogue_has_the_french_plural_rule():
    header = FR_PO_PATH.read_text(encoding="utf-8").split("\n\n", 1)[0]

    assert '"Language: fr\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in header


def test_every_plural_of_the_code_is_in_the_french_catalogue_as_itself(english_plurals, french):
    assert len(english_plurals) > 10, "the English catalogue has lost its plurals"
    expected = {entry.key: {0: entry.msgid, 1: entry.msgid_plural} for entry in english_plurals}
    found = {entry.key: entry.msgstr for entry in french}

    assert found == expected, f"{FR_PO_PATH.name} does not hold exactly the plurals of the code ({HOW_TO})"
    assert all(entry.msgid_plural is not None for entry in french), "French singular strings need no entry"
    assert not any({"fuzzy", "obsolete"} & entry.flags for entry in french)


def test_the_french_catalogue_is_what_the_tool_writes(monkeypatch):
    """Nobody edits the French .po by hand: it is regenerated from the English one."""
    assert TOOL.exists(), f"{TOOL} is missing"
    spec = importlib.util.spec_from_file_location("french_plurals", TOOL)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, tool)  # its dataclass looks itself up there
    spec.loader.exec_module(tool)

    expected = tool.render(tool.read_plurals(EN_PO_PATH))

    assert FR_PO_PATH.read_text(encoding="utf-8") == expected, f"{FR_PO_PATH.name} is out of date ({HOW_TO})"


def test_the_compiled_french_catalogue_matches_the_po(french):
    assert FR_MO_PATH.exists(), f"{FR_MO_PATH.name} is missing: {HOW_TO}"
    with FR_MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    catalogue = compiled._catalog  # type: ignore[attr-defined]
    expected = {(entry.key, index): text for entry in french for index, text in entry.msgstr.items()}
    assert {key: value for key, value in catalogue.items() if key != ""} == expected, (
        f"{FR_MO_PATH.name} is out of date ({HOW_TO})"
    )
    assert [compiled.plural(n) for n in (0, 1, 2, 10)] == [0, 0, 1, 1]  # type: ignore[attr-defined]


def test_zero_and_one_are_singular_in_french(french):
    with translation.override("fr"):
        for entry in french:
            assert entry.msgid_plural is not None
            forms = [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (0, 1, 2, 100)]
            assert forms == [entry.msgid, entry.msgid, entry.msgid_plural, entry.msgid_plural], entry.msgid

        assert translation.ngettext("%(counter)s jour", "%(counter)s jours", 0) % {"counter": 0} == "0 jour"
        assert translation.ngettext("%(counter)s jour", "%(counter)s jours", 1) % {"counter": 1} == "1 jour"
        assert translation.ngettext("%(counter)s jour", "%(counter)s jours", 2) % {"counter": 2} == "2 jours"


def test_templates_count_in_french():
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} dossier"
        "{% plural %}{{ counter }} dossiers{% endblocktranslate %}"
    )
    with translation.override("fr"):
        assert [template.render(Context({"n": n})) for n in (0, 1, 2)] == ["0 dossier", "1 dossier", "2 dossiers"]


def test_english_is_unchanged_and_french_singulars_stay_french():
    with translation.override("en"):
        assert translation.ngettext("%(counter)s jour", "%(counter)s jours", 0) % {"counter": 0} == "0 days"
        assert translation.ngettext("%(counter)s jour", "%(counter)s jours", 1) % {"counter": 1} == "1 day"
        assert translation.gettext("Trouver un lieu") == "Find a place"
    with translation.override("fr"):
        assert translation.gettext("Trouver un lieu") == "Trouver un lieu"
