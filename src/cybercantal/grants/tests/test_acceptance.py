"""Acceptance test of issue 7, tried as a new user would, through the real pages.

A sawmill in a hamlet of Neuvéglise-sur-Truyère checks its address, learns it is eligible and
why, applies for a 3,200 € satellite installation, sees 1,600 € of aid computed, is asked for a
corrected quote, resubmits, is accepted, downloads the decision letter, uploads its invoice and
is paid; the programme manager sees the envelope and the map of dossiers.

Every step is a page a person would use: GET it, read what it shows (the visible French text),
fill the form found on the page (its real field names, its hidden fields such as ``version``)
and POST it as the browser would. No service is called once the data is set up (the demo
programme and the demo coverage edition, as ``cybercantal demo`` loads them).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from cybercantal.accounts.models import Role
from cybercantal.places.tests.factories import UserFactory
from cybercantal.territory.models import Commune

from ..demo import coverage as demo_coverage
from ..demo import programmes as demo_programmes
from ..models import Application, GrantProgramme, StatusChange
from ..services.programmes import programme_create
from .factories import pdf_bytes, valid_siret

pytestmark = pytest.mark.django_db

COMMUNE = "Neuvéglise-sur-Truyère"
ADDRESS = "3 Le Bousquet"  # the sawmill's hamlet: copper below 3 Mbit/s only (sample ARCEP data)
POSTAL_CODE = "15260"
SAWMILL = "Scierie des Planèzes"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


# --- Reading pages as a person does -------------------------------------------------------------


INLINE_TAGS = r"(?i)</?(a|abbr|b|code|em|i|small|span|strong|time)\b[^>]*>"


def seen(response: Any) -> str:
    """The text a person reads on the page: no tags, entities decoded, spaces collapsed (the
    no-break spaces of French typography become plain spaces)."""
    html = response.content.decode()
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    html = re.sub(INLINE_TAGS, "", html)  # <strong>1 600,00 €</strong>. reads "1 600,00 €."
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def squeeze(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def links(response: Any) -> dict[str, str]:
    """``{visible text of the link: href}`` of every link on the page."""
    html = response.content.decode()
    found: dict[str, str] = {}
    for href, inner in re.findall(r'(?is)<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', html):
        found.setdefault(squeeze(unescape(re.sub(r"<[^>]+>", " ", inner))), unescape(href))
    return found


def link(response: Any, text: str) -> str:
    """The href of the link whose visible text starts with ``text`` (it must be on the page)."""
    for label, href in links(response).items():
        if label.startswith(text):
            return href
    raise AssertionError(f"No link « {text} » on {response.request['PATH_INFO']}: {sorted(links(response))}")


def table_rows(response: Any) -> list[str]:
    """The visible text of each row of every table on the page."""
    html = response.content.decode()
    return [squeeze(unescape(re.sub(r"<[^>]+>", " ", row))) for row in re.findall(r"(?is)<tr\b.*?</tr>", html)]


@dataclass
class PageForm:
    """A form as the browser has it: what it would send untouched, and what can be filled."""

    action: str
    method: str
    values: dict[str, str] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    checkboxes: set[str] = field(default_factory=set)
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)

    def option(self, name: str, label: str) -> str:
        """The value of the option of ``name`` whose label starts with ``label``."""
        for value, text in self.options[name]:
            if text.startswith(label):
                return value
        raise AssertionError(f"No option « {label} » in {name}: {self.options[name]}")

    def button(self, text: str) -> dict[str, str]:
        for name, value, label in self.buttons:
            if label.startswith(text):
                return {name: value} if name else {}
        raise AssertionError(f"No button « {text} »: {self.buttons}")


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self._form = PageForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form.checkboxes.add(name)
                if "checked" in a:
                    form.values[name] = a.get("value", "on")
            elif kind == "file":
                form.files.add(name)
            elif kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            else:
                form.values[name] = a.get("value", "")
            form.names.add(name)
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = [name, a.get("value", ""), ""]
        elif tag == "select" and name:
            self._select = name
            form.names.add(name)
            form.options[name] = []
        elif tag == "option" and self._select:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "label": ""}
        elif tag == "textarea" and name:
            self._textarea = name
            form.values[name] = ""
            form.names.add(name)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["label"] += data
        elif self._button is not None:
            self._button[2] += data
        elif self._textarea and self._form is not None:
            self._form.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif form is None:
            return
        elif tag == "option" and self._option is not None and self._select:
            option = self._option
            value = option["value"] if option["value"] is not None else option["label"].strip()
            form.options[self._select].append((value, squeeze(option["label"])))
            if option["selected"] or self._select not in form.values:
                form.values[self._select] = value
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button" and self._button is not None:
            name, value, text = self._button
            form.buttons.append((name, value, squeeze(text)))
            self._button = None


def page_form(response: Any, *, action: str | None = None, has: str | None = None) -> PageForm:
    """The form of the page posting to ``action`` (a path ending), or holding the field ``has``."""
    reader = _FormReader()
    reader.feed(response.content.decode())
    for form in reader.forms:
        if action is not None and not form.action.split("#")[0].endswith(action):
            continue
        if has is not None and has not in form.names:
            continue
        return form
    raise AssertionError(f"No form ({action=}, {has=}) on {response.request['PATH_INFO']}")


def send(
    client: Client,
    response: Any,
    form: PageForm,
    fill: dict[str, Any] | None = None,
    *,
    button: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    follow: bool = True,
) -> Any:
    """Fill ``form`` (only fields that are on the page) and send it as the browser would."""
    fill = fill or {}
    unknown = set(fill) - form.names
    assert not unknown, f"Fields not on the page: {unknown} (the form has {sorted(form.names)})"
    data: dict[str, Any] = {**form.values, **(button or {})}
    for name, value in fill.items():
        if value is None or value is False:
            data.pop(name, None)  # an unticked box is not sent
        else:
            data[name] = "on" if value is True else value
    url = form.action.split("#")[0] or response.request["PATH_INFO"]
    if form.method == "get":
        return client.get(url, data, follow=follow)
    return client.post(url, data, follow=follow, headers=headers or {})


def landed(response: Any) -> str:
    """The path the browser ends on after following the redirects."""
    assert response.status_code == 200, response.status_code
    return response.request["PATH_INFO"]


def pdf_text(content: bytes) -> str:
    return squeeze("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def subjects(mailoutbox: list[Any]) -> list[str]:
    """The subjects of the emails sent, without the platform's prefix."""
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    return [message.subject.removeprefix(prefix) for message in mailoutbox]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- The data the platform has before anyone arrives ---------------------------------------------


@pytest.fixture
def auverdata(territory):
    """The demo programme and the demo coverage edition (the ARCEP sample, edition 2026T2)."""
    today = timezone.localdate()
    if demo_programmes.AUVERDATA["opens_on"] <= today <= demo_programmes.AUVERDATA["closes_on"]:
        demo_programmes.load()
    else:  # the demo's dates are past: the same programme, made the same way, open today
        programme_create(
            actor=None,
            categories=demo_programmes.CATEGORIES,
            **{
                **demo_programmes.AUVERDATA,
                "opens_on": today - timedelta(days=30),
                "closes_on": today + timedelta(days=300),
            },
        )
    demo_coverage.load()
    return GrantProgramme.objects.get(slug=demo_programmes.SLUG)


def test_the_sawmill_is_paid_and_the_manager_sees_it(auverdata, staff, django_capture_on_commit_callbacks, mailoutbox):
    anonymous, sawmill, instruction, manager = Client(), Client(), Client(), Client()
    person = UserFactory(first_name="Camille", last_name="Fabre")  # a plain account, no role yet
    sawmill.force_login(person)
    instructor = staff(Role.GRANT_INSTRUCTOR)
    instruction.force_login(instructor)
    manager.force_login(staff(Role.PROGRAMME_MANAGER))

    # 1. Anonymous: the programmes, Auverdata's page, the eligibility of the hamlet. -------------
    page = anonymous.get("/aides/")
    assert page.status_code == 200
    text = seen(page)
    assert "Aides aux entreprises pour se connecter à internet" in text
    assert "1 dispositif ouvert aux demandes aujourd'hui." in text
    assert "Auverdata" in text
    assert "L'aide couvre 50 % de vos dépenses éligibles, jusqu'à 2 500 € par dossier." in text

    page = anonymous.get(link(page, "Auverdata"))
    assert landed(page) == "/aides/dispositifs/auverdata/"
    text = seen(page)
    assert "L'aide couvre 50 % de vos dépenses éligibles, jusqu'à 2 500 € par dossier." in text
    assert "Financé par Région Auvergne-Rhône-Alpes" in text
    assert "Installation et mise en service" in text

    page = anonymous.get(link(page, "Vérifier mon éligibilité"))
    assert landed(page) == "/aides/eligibilite/"
    form = page_form(page, has="commune")
    assert form.values["dispositif"] == "auverdata"
    page = send(anonymous, page, form, {"commune": COMMUNE, "adresse": ADDRESS})
    text = seen(page)
    assert "Réponse : Éligible" in text
    assert f"Dispositif « Auverdata », locaux à {COMMUNE} ({ADDRESS})." in text
    assert "Vos locaux sont éligibles" in text  # the reason ...
    assert "Moins de 3 Mbit/s" in text  # ... from the building's best wired speed ...
    assert "Édition des données 2026T2" in text  # ... and the edition of the data behind it
    apply_url = link(page, "Demander l'aide")
    assert apply_url == "/aides/dispositifs/auverdata/demander/"

    # 2. The person applies. ---------------------------------------------------------------------
    page = sawmill.get(apply_url, follow=True)
    assert landed(page) == "/aides/entreprise/"
    assert "Déclarez d'abord l'entreprise qui demande l'aide." in seen(page)
    siret = valid_siret(4242)
    kbis_siret = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    page = send(
        sawmill,
        page,
        page_form(page, has="siret"),
        {"siret": kbis_siret, "name": SAWMILL, "commune": COMMUNE, "email": "scierie@example.org"},
    )
    assert landed(page) == apply_url
    assert f"L'entreprise « {SAWMILL} » est enregistrée à votre compte." in seen(page)
    assert f"Entreprise qui demande l'aide : {SAWMILL}." in seen(page)

    page = send(sawmill, page, page_form(page, has="entreprise"))
    reference = re.search(r"/aides/dossiers/([A-Z]+-\d{4}-\d+)/modifier/entreprise/", landed(page)).group(1)
    assert reference.startswith("AUV-")
    assert f"Votre dossier {reference} est créé." in seen(page)
    steps_url = f"/aides/dossiers/{reference}/modifier/"

    # Step 1: the business (name, SIRET copied from the account).
    form = page_form(page, has="business_name")
    assert form.values["business_name"] == SAWMILL
    assert form.values["siret"] == kbis_siret
    page = send(
        sawmill,
        page,
        form,
        {
            "activity": "Scierie",
            "employees": "4",
            "contact_name": "Camille Fabre",
            "contact_phone": "04 71 23 45 67",
            "iban": IBAN,
        },
    )
    assert landed(page) == steps_url + "locaux/"

    # Step 2: the premises; the page's background save answers the eligibility at once.
    form = page_form(page, has="address")
    typed = {"address": ADDRESS, "commune": COMMUNE, "postal_code": POSTAL_CODE}
    autosave = send(sawmill, page, form, typed, headers={"X-Autosave": "1"}, follow=False)
    assert autosave.status_code == 200
    answer = autosave.json()
    assert answer["saved"] is True, answer
    assert "Éligibilité des locaux : Éligible." in answer["message"]
    assert "Éligible" in answer["panels"]["eligibility"]
    form.values["version"] = str(answer["version"])  # as the page's script does
    page = send(sawmill, page, form, typed, button=form.button("Enregistrer et vérifier l'éligibilité"))
    assert landed(page) == steps_url + "locaux/"
    text = seen(page)
    assert "Éligibilité des locaux Éligible" in text
    assert "Vos locaux sont éligibles" in text
    assert "Vérifié sur : données par immeuble (ARCEP), édition 2026T2." in text
    canton = re.search(rf"Locaux à {COMMUNE} \(canton de ([^)]+)\)\.", text).group(1)
    assert canton in {c.name for c in Commune.objects.current().get(name=COMMUNE).cantons.all()}
    page = send(sawmill, page, page_form(page, has="address"))
    assert landed(page) == steps_url + "depenses/"

    # Step 3: the 3,200 € satellite installation with its quote; the aid is computed at once.
    form = page_form(page, has="amount")
    line = {
        "category": form.option("category", "Installation et mise en service"),
        "description": "Pose d'une parabole et d'un modem satellite",
        "amount": "3 200",
    }
    preview = send(sawmill, page, form, line, headers={"X-Autosave": "preview"}, follow=False)
    assert squeeze(preview.json()["message"]) == "Aide estimée avec cette dépense : 1 600,00 €"
    quote = SimpleUploadedFile("devis-satellite.pdf", pdf_bytes("Devis D-117 : 3 200 EUR HT"), "application/pdf")
    page = send(sawmill, page, form, {**line, "quote": quote})
    assert landed(page) == steps_url + "depenses/"
    text = seen(page)
    assert "La dépense est ajoutée." in text
    assert "Pose d'une parabole et d'un modem satellite 3 200,00 € oui devis-satellite.pdf" in text
    assert "Dépenses éligibles (HT) 3 200,00 €" in text
    assert "Taux de l'aide 50 %" in text
    assert "Aide 1 600,00 €" in text
    page = sawmill.get(link(page, "Continuer : Aides reçues et engagements"))

    # Step 4: de minimis and the certifications (every box on the page ticked).
    form = page_form(page, has="sworn")
    assert "L'aide demandée dans ce dossier est de 1 600,00 €" in seen(page)
    ticks = dict.fromkeys(form.checkboxes, True)
    assert len(ticks) == 1 + len(auverdata.conditions)
    page = send(sawmill, page, form, {"de_minimis_amount": "0", **ticks})
    assert landed(page) == steps_url + "recapitulatif/"

    # Step 5: the recap, and the submission (twice: a double click).
    text = seen(page)
    assert "Le dossier est complet : vous pouvez le déposer." in text
    assert f"Adresse {ADDRESS} {POSTAL_CODE} {COMMUNE}" in text
    assert "Aide 1 600,00 €" in text
    assert "Conditions et déclaration sur l'honneur certifiées" in text
    submit = page_form(page, action="/deposer/")
    with django_capture_on_commit_callbacks(execute=True):
        page = send(sawmill, page, submit)
    assert landed(page) == f"/aides/dossiers/{reference}/"
    text = seen(page)
    assert f"Votre dossier {reference} est déposé. Un accusé de réception vous est envoyé par courriel." in text
    assert "État du dossier : Déposé" in text
    assert subjects(mailoutbox) == [f"Dossier {reference} déposé"]
    assert person.email in mailoutbox[0].to
    changes = StatusChange.objects.filter(application__reference=reference).count()
    with django_capture_on_commit_callbacks(execute=True):
        again = send(sawmill, page, submit)
    assert f"Le dossier {reference} est déjà déposé (« Déposé ») : rien n'a été envoyé une seconde fois." in seen(again)
    assert len(mailoutbox) == 1
    assert StatusChange.objects.filter(application__reference=reference).count() == changes
    assert Application.objects.filter(organisation__siret=siret).count() == 1

    # 3. The instructor asks for a corrected quote. --------------------------------------------------
    page = instruction.get("/aides/instruction/")
    assert page.status_code == 200
    row = next(r for r in table_rows(page) if reference in r)
    assert f"{SAWMILL} {COMMUNE} ({canton})" in row
    assert "1 600,00 €" in row
    assert "Déposé" in row
    page = instruction.get(link(page, reference))
    assert landed(page) == f"/aides/instruction/{reference}/"
    text = seen(page)
    assert "Réponse Éligible" in text
    assert "Meilleur débit filaire Moins de 3 Mbit/s" in text  # the data behind it, in French
    assert "Base de la réponse données à l'immeuble" in text
    assert "Édition des données 2026T2" in text
    assert "best_class" not in text
    with django_capture_on_commit_callbacks(execute=True):
        page = send(instruction, page, page_form(page, action="/prendre/"))
    assert f"Vous instruisez le dossier {reference}." in seen(page)
    assert "État : En instruction" in seen(page)
    request_text = "Le devis ne détaille pas la pose : merci d'envoyer un devis corrigé, pose comprise."
    with django_capture_on_commit_callbacks(execute=True):
        page = send(instruction, page, page_form(page, action="/corrections/"), {"corrections-message": request_text})
    assert "Les corrections sont demandées : le demandeur est prévenu." in seen(page)
    assert "État : Corrections demandées" in seen(page)
    assert subjects(mailoutbox)[-1] == f"Dossier {reference} : des corrections sont demandées"
    assert request_text in mailoutbox[-1].body

    # The applicant sees the request on the dossier page and in the thread, corrects, resubmits.
    page = sawmill.get(f"/aides/dossiers/{reference}/")
    text = seen(page)
    assert "État du dossier : Corrections demandées" in text
    assert "Corriger L'instructeur demande des corrections : modifiez le dossier puis déposez-le à nouveau." in text
    assert request_text in text  # in the history of the dossier
    assert "1 message échangé avec l’instruction — 1 non lu" in text
    thread = sawmill.get(link(page, "Lire les messages et écrire"))
    assert landed(thread) == f"/aides/dossiers/{reference}/messages/"
    assert "Service instructeur — " in seen(thread)
    assert request_text in seen(thread)
    with django_capture_on_commit_callbacks(execute=True):
        thread = send(
            sawmill, thread, page_form(thread, has="body"), {"body": "Voici le devis corrigé, pose comprise."}
        )
    assert "Votre message est envoyé." in seen(thread)
    assert instructor.email in mailoutbox[-1].to  # the instructor is told

    page = sawmill.get(link(page, "Corriger"))
    assert landed(page) == steps_url + "entreprise/"
    page = sawmill.get(link(page, "Dépenses"))
    assert landed(page) == steps_url + "depenses/"
    page = sawmill.get(steps_url + "depenses/" + link(page, "Modifier « Pose d'une parabole"))
    form = page_form(page, has="amount")
    assert "Devis actuel : devis-satellite.pdf." in seen(page)
    assert form.values["amount"] == "3200,00"
    corrected = SimpleUploadedFile(
        "devis-corrige.pdf", pdf_bytes("Devis D-117 rev. 2 : 3 200 EUR HT pose comprise"), "application/pdf"
    )
    page = send(sawmill, page, form, {"quote": corrected})
    text = seen(page)
    assert "La dépense est modifiée." in text
    assert "Pose d'une parabole et d'un modem satellite 3 200,00 € oui devis-corrige.pdf" in text
    assert "Aide 1 600,00 €" in text
    page = sawmill.get(steps_url + "recapitulatif/")
    assert "Le dossier est complet : vous pouvez le déposer." in seen(page)
    with django_capture_on_commit_callbacks(execute=True):
        page = send(sawmill, page, page_form(page, action="/deposer/"))
    assert "État du dossier : Déposé" in seen(page)
    assert subjects(mailoutbox)[-1] == f"Dossier {reference} déposé"

    # The instructor takes it again, sees the new quote and the reply, and accepts 1,600 €.
    page = instruction.get(f"/aides/instruction/{reference}/")
    assert "Messages avec le demandeur (1 non lu)" in seen(page)
    quote_page = instruction.get(link(page, "Télécharger — devis de « Pose d'une parabole"))
    assert quote_page.status_code == 200
    assert "rev. 2" in pdf_text(body(quote_page))
    with django_capture_on_commit_callbacks(execute=True):
        page = send(instruction, page, page_form(page, action="/prendre/"))
    assert "État : En instruction" in seen(page)
    accept = page_form(page, action="/accepter/")
    assert "Aide calculée : 1 600,00 €. Reste sur l’enveloppe : 150 000,00 €." in seen(page)
    with django_capture_on_commit_callbacks(execute=True):
        page = send(instruction, page, accept, {"accord-amount": "1 600,00"})
    text = seen(page)
    assert "Le dossier est accepté ; la lettre de décision est prête." in text
    assert "État : Accepté" in text
    assert "Aide accordée 1 600,00 €" in text
    assert subjects(mailoutbox)[-1] == f"Dossier {reference} accepté"

    # The applicant sees the decision and downloads the letter.
    page = sawmill.get(f"/aides/dossiers/{reference}/")
    text = seen(page)
    assert "État du dossier : Accepté" in text
    assert "Aide accordée 1 600,00 €" in text
    letter = sawmill.get(link(page, "Lettre de décision (PDF)"))
    assert letter.status_code == 200
    assert letter["Content-Type"] == "application/pdf"
    letter_text = pdf_text(body(letter))
    assert f"Décision sur la demande d'aide {reference}" in letter_text
    assert f"une aide de 1 600,00 € est accordée à {SAWMILL}" in letter_text
    assert f"Locaux : {ADDRESS}, {POSTAL_CODE} {COMMUNE}" in letter_text
    assert "Aide accordée 1 600,00 €" in letter_text

    # 4. The paid invoice, the request for payment, the check and the payment order. -------------
    page = sawmill.get(link(page, "Factures acquittées"))
    assert landed(page) == f"/aides/dossiers/{reference}/factures/"
    form = page_form(page, has="invoice_number")
    invoice = SimpleUploadedFile(
        "facture-F2026-0042.pdf", pdf_bytes("Facture F-2026-0042 acquittée"), "application/pdf"
    )
    page = send(
        sawmill,
        page,
        form,
        {
            "line": form.option("line", "Pose d'une parabole et d'un modem satellite"),
            "supplier": "Satellites du Massif",
            "invoice_number": "F-2026-0042",
            "invoice_date": timezone.localdate().isoformat(),
            "amount": "3 200,00",
            "file": invoice,
        },
    )
    text = seen(page)
    assert "La facture F-2026-0042 de Satellites du Massif est ajoutée : elle sera vérifiée par l'instructeur." in text
    assert "1 facture déposée — 1 à vérifier" in text
    with django_capture_on_commit_callbacks(execute=True):
        page = send(sawmill, page, page_form(page, action="/demander-le-versement/"))
    assert "Votre demande de versement est envoyée à l'instructeur du dossier." in seen(page)
    assert instructor.email in mailoutbox[-1].to

    page = instruction.get(f"/aides/instruction/{reference}/")
    page = instruction.get(link(page, "Factures et paiement"))
    assert landed(page) == f"/aides/instruction/{reference}/paiement/"
    form = page_form(page, action="/retenir/")
    accepted_field = next(name for name in form.names if name.endswith("accepted_amount"))
    assert form.values[accepted_field] == "3200,00"
    page = send(instruction, page, form)
    assert "La facture F-2026-0042 est retenue pour 3 200,00 €." in seen(page)
    text = seen(page)
    assert "Montant du versement : 1 600,00 €." in text
    order = page_form(page, action="/ordonner/")
    assert order.values["iban"] == IBAN  # as the business gave it
    with django_capture_on_commit_callbacks(execute=True):
        page = send(instruction, page, order, {"iban": "FR7630006000011234567890189"})
    text = seen(page)
    assert re.search(r"Le versement de 1 600,00 € est ordonné \(mandat [^)]+\)\. L'entreprise est prévenue\.", text)
    assert "État du dossier Payé" in text
    assert subjects(mailoutbox)[-1] == f"Dossier {reference} : aide versée"

    page = sawmill.get(f"/aides/dossiers/{reference}/")
    text = seen(page)
    assert "État du dossier : Payé" in text
    assert "Aide versée 1 600,00 €" in text
    assert "Rien à faire L'aide est versée : le dossier est terminé." in text
    page = sawmill.get(link(page, "Factures acquittées"))
    assert re.search(r"Le versement de 1 600,00 € a été ordonné le .+ \(mandat [^)]+\)\.", seen(page))
    page = sawmill.get("/aides/mes-dossiers/")
    assert page.status_code == 200
    assert "Payé" in next(row for row in table_rows(page) if reference in row)

    # 5. The programme manager: the envelope, the canton of the dossier, the export. ---------------
    page = manager.get("/aides/tableau-de-bord/")
    assert page.status_code == 200
    text = seen(page)
    assert "Tableau de bord : Auverdata" in text
    assert "Budget 150 000,00 €" in text
    assert "Engagé 1 600,00 €, soit" in text
    assert "Versé 1 600,00 €, soit" in text
    assert "Reste à engager 148 400,00 €" in text
    assert "Carte des dossiers par canton" in text
    row = next(r for r in table_rows(page) if r.startswith(canton + " "))
    assert re.fullmatch(rf"{re.escape(canton)} \d+ 1 1 600,00 € 1 600,00 € 1 600,00 €", row), row
    assert "Payé 1" in [r for r in table_rows(page) if r.startswith("Payé ")]
    export = manager.get(link(page, "Exporter les dossiers (CSV)"))
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(body(export).decode("utf-8-sig")), delimiter=";"))
    dossier = next(r for r in rows if r and r[0] == reference)
    assert {"Auverdata", "Payé", SAWMILL, siret, COMMUNE, canton} <= set(dossier)
    assert dossier.count("1600,00") == 3  # computed, decided, paid
