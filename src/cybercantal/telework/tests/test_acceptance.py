"""Acceptance of the telecentres network, tried as a new user would (issue 3, last section).

« A teleworker signs up, joins through her employer's agreement, books Tuesdays and Thursdays
for a month in Murat's telecentre from her phone, gets the iCal link and the emails, checks in
with the QR code; her employer sees the usage and the monthly invoice PDF; the programme
manager sees occupancy for all seven telecentres and the prospecting pipeline. »

The story is played through the pages only: each step GETs a page, POSTs the form that page
shows (with the values a person would type or tick), follows the redirects, and checks what
the page says. Only what other actors did before the story (the network of seven telecentres,
the signed agreement, the prospects of the programme team) is built with the factories, and
the clock is moved with ``monkeypatch`` (``django.utils.timezone.now``) as the other telework
tests do. The reminder job is run through its service, with the evening before as ``now``.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.accounts.tests.factories import OrganisationFactory
from cybercantal.core.links import absolute_url

from ..models import AgreementEmployee, Booking, BookingSeries, BookingStatus, Invoice, ResourceKind, Telecentre
from ..services import checkin as checkin_service
from ..views.checkin import qr_svg
from .factories import AgreementFactory, ResourceFactory, TelecentreFactory
from .factories_prospecting import moved, partner, prospect

pytestmark = pytest.mark.django_db

PASSWORD = "Un-mot-de-passe-solide-2026"
CLAIRE_EMAIL = "claire.vidal@laiterie-des-monts.fr"
WEEKDAYS_OPEN = "Mo-Fr 08:30-18:00"
OTHER_TELECENTRES = [
    "Télécentre du Lioran",
    "Tiers-lieu L'Escale, Aurillac",
    "Télécentre de Saint-Flour",
    "Télécentre de Mauriac",
    "Télécentre de Riom-ès-Montagnes",
    "Télécentre de Maurs",
]


# --- reading pages as a person does --------------------------------------------------------------


def text(response: Any) -> str:
    """What the page says: tags dropped, entities decoded, spaces collapsed, plain apostrophes."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html_lib.unescape(body).replace("’", "'").replace("\u202f", " ").replace("\xa0", " ").split())


def links(response: Any) -> list[str]:
    return [html_lib.unescape(href) for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', response.content.decode())]


def link_to(response: Any, path: str) -> str | None:
    """The page's link whose path is ``path`` (with its query string), if any."""
    return next((href for href in links(response) if urlsplit(href).path == path), None)


def follow_link(client: Client, response: Any, path: str, **kwargs: Any) -> Any:
    """Click the link to ``path`` that the page shows (it must be there)."""
    href = link_to(response, path)
    assert href is not None, f"no link to {path} on {response.request['PATH_INFO']}"
    return client.get(href, **kwargs)


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what the browser sends as is
    choices: dict[str, list[str]] = field(default_factory=dict)  # every name the form offers
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)
    text: str = ""

    def submit(self, client: Client, page_path: str, button: str | None = None, **values: Any) -> Any:
        """Send the form as a browser does: its own values, changed by ``values`` (each name must
        be a field of the form; a list ticks those boxes), and the button whose text contains
        ``button`` (its name and value are sent)."""
        unknown = set(values) - set(self.choices)
        assert not unknown, f"the form has no field {unknown}"
        data: dict[str, list[str]] = {}
        for name, value in self.fields:
            if name not in values:
                data.setdefault(name, []).append(value)
        for name, value in values.items():
            data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        if button is not None:
            found = [b for b in self.buttons if button in b[2]]
            assert found, f"no button {button!r} in {self.buttons}"
            if found[0][0]:
                data[found[0][0]] = [found[0][1]]
        action = self.action or page_path
        if self.method == "get":
            return client.get(action, data, follow=True)
        return client.post(action, data, follow=True)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.select: tuple[str, bool] | None = None
        self.select_options: list[tuple[str, bool]] = []
        self.option: list[Any] | None = None
        self.textarea: list[str] | None = None
        self.button: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "form":
            self.current = Form(action=attrs.get("action", ""), method=(attrs.get("method") or "get").lower())
            self.forms.append(self.current)
            return
        form = self.current
        if form is None:
            return
        name = attrs.get("name", "")
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in {"submit", "image"}:
                form.buttons.append((name, attrs.get("value", ""), attrs.get("value", "")))
                return
            if not name or "disabled" in attrs:
                return
            form.choices.setdefault(name, [])
            if kind in {"checkbox", "radio"}:
                value = attrs.get("value", "on")
                form.choices[name].append(value)
                if "checked" in attrs:
                    form.fields.append((name, value))
            elif kind != "file":
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "button":
            self.button = [name, attrs.get("value", ""), "", (attrs.get("type") or "submit").lower()]
        elif tag == "select" and name:
            self.select = (name, "multiple" in attrs)
            self.select_options = []
            form.choices.setdefault(name, [])
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), "selected" in attrs, ""]
        elif tag == "textarea" and name:
            form.choices.setdefault(name, [])
            self.textarea = [name]

    def handle_data(self, data: str) -> None:
        if self.button is not None:
            self.button[2] += data
        if self.option is not None:
            self.option[2] += data
        if self.textarea is not None:
            self.textarea.append(data)

    def handle_endtag(self, tag: str) -> None:
        form = self.current
        if tag == "form":
            self.current = None
        elif form is None:
            return
        elif tag == "button" and self.button is not None:
            name, value, label, kind = self.button
            if kind == "submit":
                form.buttons.append((name, value, " ".join(label.split())))
            self.button = None
        elif tag == "option" and self.option is not None and self.select is not None:
            value, selected, label = self.option
            value = label.strip() if value is None else value
            form.choices[self.select[0]].append(value)
            self.select_options.append((value, selected))
            self.option = None
        elif tag == "select" and self.select is not None:
            name, multiple = self.select
            chosen = [v for v, s in self.select_options if s]
            if not chosen and not multiple and self.select_options:
                chosen = [self.select_options[0][0]]
            form.fields.extend((name, v) for v in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            form.fields.append((self.textarea[0], "".join(self.textarea[1:]).lstrip("\n")))
            self.textarea = None


def form_on(response: Any, *, button: str | None = None, action: str | None = None, has: str | None = None) -> Form:
    """The form of the page with that button text, that action or that field."""
    parser = _FormParser()
    parser.feed(response.content.decode())
    for form in parser.forms:
        if button is not None and not any(button in b[2] for b in form.buttons):
            continue
        if action is not None and form.action != action:
            continue
        if has is not None and has not in form.choices:
            continue
        return form
    raise AssertionError(f"no such form (button={button!r}, action={action!r}, has={has!r}) on the page")


def page_path(response: Any) -> str:
    return response.request["PATH_INFO"]


def said(response: Any, *sentences: str) -> None:
    page = text(response)
    for sentence in sentences:
        assert sentence in page, f"{sentence!r} not on {page_path(response)}: {page[:1500]}"


def sent_to(mailoutbox: list[Any], address: str, subject_part: str) -> Any:
    found = [m for m in mailoutbox if address in m.to and subject_part in m.subject]
    assert found, f"no email {subject_part!r} to {address}: {[(m.to, m.subject) for m in mailoutbox]}"
    return found[-1]


def _qr_drawing(svg: str) -> str:
    """The modules of a QR code drawn as an SVG path (the same address draws the same path)."""
    found = re.search(r'<path[^>]*\bd="([^"]+)"', svg)
    assert found, svg[:300]
    return found.group(1)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def set_clock(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)


def day_text(day: dt.date) -> str:
    return date_format(day, "l j F Y")


# --- the world before the story ---------------------------------------------------------------


@dataclass
class World:
    murat: Telecentre
    pool: Any
    others: list[Telecentre]
    employer: Organisation
    agreement: Any
    employer_manager: User
    telecentre_manager: User
    programme_manager: User


@pytest.fixture
def world(staff) -> World:
    """Seven open telecentres (Murat's « La Gare » open every weekday), Murat's shared space, the
    dairy's signed agreement covering Murat two days a week, its HR manager, Murat's manager, the
    programme manager (TOTP set up), and the programme team's prospects."""
    a_year_ago = timezone.localdate() - dt.timedelta(days=365)
    murat = TelecentreFactory(
        place__name="Télécentre La Gare",
        place__address="1 avenue de la Gare",
        place__postal_code="15300",
        place__opening_hours=WEEKDAYS_OPEN,
        opens_on=a_year_ago,
        welcome_text="Code de la porte envoyé par courriel. Wifi : LaGare-Invites.",
    )
    pool = ResourceFactory(telecentre=murat, name="Espace partagé", kind=ResourceKind.SEAT_POOL, capacity=6)
    ResourceFactory(telecentre=murat, name="Bureau Bonnevie", kind=ResourceKind.OFFICE, capacity=1)
    others = []
    for index, name in enumerate(OTHER_TELECENTRES):
        other = TelecentreFactory(
            place__name=name, place__opening_hours=WEEKDAYS_OPEN, opens_on=a_year_ago + dt.timedelta(days=30 * index)
        )
        ResourceFactory(telecentre=other, name="Espace partagé", kind=ResourceKind.SEAT_POOL, capacity=8)
        others.append(other)
    employer = OrganisationFactory(name="Laiterie des Monts", kind=Organisation.Kind.EMPLOYER)
    agreement = AgreementFactory(
        employer=employer,
        telecentres=[murat],
        days_per_week=2,
        day_price_excl_tax=Decimal("15.00"),
        billing_address="Service des ressources humaines\n15300 Murat",
    )
    employer_manager = staff(Role.EMPLOYER_MANAGER, employer)
    telecentre_manager = staff(Role.TELECENTRE_MANAGER, murat.place)
    programme_manager = staff(Role.PROGRAMME_MANAGER)
    # The programme team's pipeline, written before the story through its own pages.
    cantal_expansion = partner("Cantal Expansion")
    moved(
        prospect("Assurances Volcans", identified_days_ago=120, source_partner=cantal_expansion),
        ("contacted", 100),
        ("meeting", 60),
    )
    moved(prospect("Logiciels du Massif", identified_days_ago=90), ("contacted", 80))
    prospect("Banque des Puys", identified_days_ago=10)
    moved(
        prospect("Laiterie des Monts", identified_days_ago=200),
        ("contacted", 180),
        ("meeting", 150),
        ("pilot", 70),
        agreement=agreement,
    )
    return World(murat, pool, others, employer, agreement, employer_manager, telecentre_manager, programme_manager)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # rate limits and sessions of other tests
    yield
    cache.clear()


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the story --------------------------------------------------------------------------------


def test_a_teleworker_signs_up_joins_books_checks_in_and_everyone_sees_it(
    world, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    murat = world.murat
    today = timezone.localdate()

    # 1. The dairy's HR manager names Claire in the employer's space: the invitation leaves.
    hr = _signed_in(world.employer_manager)
    home = hr.get(reverse("telework:employer_home"))
    said(home, world.agreement.reference)
    agreement_url = reverse("telework:employer_agreement", args=[world.agreement.pk])
    agreement_page = follow_link(hr, home, agreement_url)
    said(agreement_page, "Télécentre La Gare")
    add = form_on(agreement_page, action=reverse("telework:employer_employee_add", args=[world.agreement.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        added = add.submit(hr, page_path(agreement_page), first_name="Claire", last_name="Vidal", email=CLAIRE_EMAIL)
    assert added.status_code == 200
    said(added, f"Claire Vidal est ajouté(e). L'invitation part à {CLAIRE_EMAIL}.")
    invitation = sent_to(mailoutbox, CLAIRE_EMAIL, "Laiterie des Monts vous ouvre les télécentres du Cantal")
    assert "Télécentre La Gare" in invitation.body
    assert "jusqu'à 2 jours par semaine" in invitation.body
    join_link = re.search(r"https?://\S+/telecentres/rejoindre/", invitation.body)
    assert join_link, invitation.body
    join_path = urlsplit(join_link.group(0)).path

    # 2. Claire follows the link: she has no account yet, so the sign-in page; she signs up.
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148")
    to_sign_in = phone.get(join_path, follow=True)
    assert page_path(to_sign_in) == reverse("account_login")
    signup_url = reverse("account_signup")
    signup_link = link_to(to_sign_in, signup_url)
    assert signup_link is not None, "the sign-in page offers no way to create an account"
    assert "rejoindre" in signup_link, "the sign-up link forgets where she was going"
    signup_page = phone.get(signup_link)
    said(signup_page, "Créer un compte")
    signup = form_on(signup_page, has="password1")
    with django_capture_on_commit_callbacks(execute=True):
        sent = signup.submit(phone, signup_link, email=CLAIRE_EMAIL, password1=PASSWORD, password2=PASSWORD)
    assert page_path(sent) == reverse("account_email_verification_sent")
    said(sent, "Vérifiez votre adresse")
    verification = sent_to(mailoutbox, CLAIRE_EMAIL, "[CyberCantal]")
    key_path = re.search(r"/compte/confirm-email/[^/\s]+/", verification.body)
    assert key_path, verification.body
    confirm_page = phone.get(key_path.group(0))
    assert confirm_page.status_code == 200
    said(confirm_page, CLAIRE_EMAIL)
    confirmed = form_on(confirm_page, action=key_path.group(0)).submit(phone, key_path.group(0))
    assert confirmed.status_code == 200
    claire = User.objects.get(email=CLAIRE_EMAIL)
    assert confirmed.wsgi_request.user == claire, "confirming the address did not sign her in"

    # 3. Signed in, she is back where the invitation link led: the join page, her invitation.
    assert page_path(confirmed) == join_path
    said(confirmed, f"Vous avez confirmé {CLAIRE_EMAIL}.")
    join_page = confirmed
    said(join_page, "Invitations en attente", "Laiterie des Monts", "Télécentre La Gare")
    employee = AgreementEmployee.objects.get(agreement=world.agreement, email=CLAIRE_EMAIL)
    confirm_url = reverse("telework:join_confirm", args=[employee.pk])
    join_confirm = follow_link(phone, join_page, confirm_url)
    said(
        join_confirm,
        "Laiterie des Monts prend en charge 2 jours de télétravail par semaine au télécentre : vous ne payez rien.",
        "Télécentre : Télécentre La Gare",
    )
    joined = form_on(join_confirm, button="Rejoindre la convention").submit(phone, confirm_url)
    said(joined, "Bienvenue ! Laiterie des Monts prend en charge vos journées au Télécentre La Gare.")
    assert page_path(joined) == reverse("telework:availability", args=[murat.slug])

    # 4. Tuesdays and Thursdays for a month, from next Monday: form, dates, report.
    telecentre_url = reverse("telework:telecentre", args=[murat.slug])
    series_url = reverse("telework:series_create", args=[murat.slug])
    telecentre_page = follow_link(phone, joined, telecentre_url)
    series_page = follow_link(phone, telecentre_page, series_url)
    said(series_page, "Réserver les mêmes jours chaque semaine")
    monday = today + dt.timedelta(days=7 - today.weekday())
    until = monday + relativedelta(months=1) - dt.timedelta(days=1)
    expected = [
        monday + dt.timedelta(days=n)
        for n in range((until - monday).days + 1)
        if (monday + dt.timedelta(days=n)).weekday() in (1, 3)
    ]
    series_form = form_on(series_page, has="weekdays")
    preview = series_form.submit(
        phone, series_url, "Voir les dates", weekdays=["1", "3"], first_day=monday.isoformat(), end="1m", part="day"
    )
    said(preview, "Vérifiez les dates", f"Espace partagé à Télécentre La Gare, journée : {len(expected)} dates.")
    for day in expected:
        said(preview, day_text(day))
    assert not Booking.objects.filter(member=claire).exists()
    with django_capture_on_commit_callbacks(execute=True):
        report = form_on(preview, button="Réserver ces").submit(
            phone, series_url, f"Réserver ces {len(expected)} dates"
        )
    series = BookingSeries.objects.get(member=claire)
    assert page_path(report) == reverse("telework:series_detail", args=[series.pk])
    said(report, f"Votre série est enregistrée : {len(expected)} réservées.", "tous les mardis et jeudis, journée")
    assert "non réservée" not in text(report)
    bookings = list(series.bookings.filter(status=BookingStatus.CONFIRMED).order_by("starts_at"))
    assert [timezone.localtime(b.starts_at).date() for b in bookings] == expected
    assert all(b.agreement_id == world.agreement.pk for b in bookings)

    # The summary email of the series.
    summary = sent_to(mailoutbox, CLAIRE_EMAIL, f"Réservations récurrentes : {len(expected)} réservées")
    assert "Télécentre La Gare" in summary.body
    for day in expected:
        assert day_text(day) in summary.body, f"{day_text(day)} not in the summary email"

    # 5. Her calendar address, from her phone; her agenda fetches it without any session.
    calendar_page = phone.get(reverse("telework:calendar_settings"))
    said(calendar_page, "Mes réservations dans mon agenda", "Adresse de votre agenda (https)")
    https = re.search(r'id="adresse-https"[^>]*value="([^"]+)"', calendar_page.content.decode())
    assert https, "no https address on the calendar page"
    feed_path = urlsplit(html_lib.unescape(https.group(1))).path
    agenda = Client().get(feed_path)
    assert agenda.status_code == 200
    assert agenda["Content-Type"] == "text/calendar; charset=utf-8"
    events = icalendar.Calendar.from_ical(agenda.content).walk("VEVENT")
    starts = sorted(timezone.localtime(e.decoded("dtstart")).date() for e in events)
    assert starts == expected
    first = next(e for e in events if timezone.localtime(e.decoded("dtstart")).date() == expected[0])
    assert "Télécentre La Gare" in str(first.get("summary"))
    assert bookings[0].checkin_code in str(first.get("description"))

    # 6. The reminder, sent the evening before the first Tuesday by the hourly job.
    tuesday = expected[0]
    with django_capture_on_commit_callbacks(execute=True):
        reminded = checkin_service.bookings_send_reminders(now=local(tuesday - dt.timedelta(days=1), 18, 10))
    assert reminded == 1
    reminder = sent_to(mailoutbox, CLAIRE_EMAIL, f"Rappel : Télécentre La Gare demain, {day_text(tuesday)}")
    assert "vous avez réservé Espace partagé à Télécentre La Gare demain" in reminder.body
    assert f"saisissez votre code d'arrivée : {bookings[0].checkin_code}" in reminder.body
    assert "Wifi : LaGare-Invites." in reminder.body

    # 7. Tuesday morning at the door: the poster the manager printed; she scans it and checks in.
    set_clock(monkeypatch, local(tuesday, 9, 5))
    manager = _signed_in(world.telecentre_manager)
    poster = manager.get(reverse("telework:checkin_poster", args=[murat.slug]))
    said(poster, "Télécentre La Gare", "Scannez en arrivant pour confirmer votre présence")
    # What her phone's camera reads: the address drawn by the poster's QR code.
    scan_path = reverse("telework:checkin_scan", args=[murat.slug, murat.checkin_token])
    printed = re.search(r'<svg class="checkin-qr__code".*?</svg>', poster.content.decode(), flags=re.S)
    assert printed, "no QR code on the poster"
    assert _qr_drawing(printed.group(0)) == _qr_drawing(qr_svg(absolute_url(scan_path), label="")), (
        "the poster's QR code does not lead to the telecentre's arrival page"
    )
    scan = phone.get(scan_path)
    said(scan, "Bienvenue à Télécentre La Gare")
    arrived = form_on(scan, button="Je suis arrivé(e)").submit(phone, scan_path, "Je suis arrivé(e)")
    said(arrived, "Arrivée enregistrée : votre place est à vous jusqu'à 18 h")
    bookings[0].refresh_from_db()
    assert bookings[0].checked_in_at == local(tuesday, 9, 5)

    # 8. The month after: Murat's manager issues the month's invoices.
    month = tuesday.replace(day=1)
    in_month = [day for day in expected if day.replace(day=1) == month]
    set_clock(monkeypatch, local(month + relativedelta(months=1) + dt.timedelta(days=1), 10))
    # Weeks have passed: the sessions of the morning have expired, everyone signs in again.
    manager = _signed_in(world.telecentre_manager)
    hr = _signed_in(world.employer_manager)
    issue_page = manager.get(reverse("telework:invoices_issue"))
    said(issue_page, "Émettre les factures d'un mois")
    issue = form_on(issue_page, button="Émettre les factures")
    assert dict(issue.fields)["month"] == f"{month:%Y-%m}"  # the month just over, chosen already
    with django_capture_on_commit_callbacks(execute=True):
        issued = issue.submit(manager, reverse("telework:invoices_issue"), "Émettre les factures")
    said(issued, "Laiterie des Monts")
    invoice = Invoice.objects.get(payer_organisation=world.employer)
    total = Decimal("15.00") * len(in_month) * Decimal("1.20")
    assert invoice.total_incl_tax == total

    # 9. The HR manager: her days in the usage table, then the invoice and its PDF.
    agreement_page = hr.get(agreement_url)
    said(agreement_page, "Jours utilisés par salarié et par mois")
    usage_row = re.search(r"Vidal Claire|Claire Vidal", text(agreement_page))
    assert usage_row, text(agreement_page)
    month_title = date_format(month, "F Y").capitalize()
    usage = text(agreement_page).split("Jours utilisés par salarié et par mois", 1)[1]
    headers = re.findall(r"[A-Za-zéû]+ \d{4}", usage.split("Total", 1)[0])
    column = headers.index(month_title)
    row = re.search(r"Claire Vidal((?: [\d,]+)+)", usage) or re.search(r"Vidal Claire((?: [\d,]+)+)", usage)
    assert row, usage[:600]
    assert row.group(1).split()[column] == str(len(in_month))
    home = hr.get(reverse("telework:employer_home"))
    invoices_page = follow_link(hr, home, reverse("telework:employer_invoices"))
    said(invoices_page, invoice.number)
    detail = follow_link(hr, invoices_page, reverse("telework:invoice_detail", args=[invoice.pk]))
    said(detail, invoice.number, "Claire Vidal")
    pdf = follow_link(hr, detail, reverse("telework:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    pdf_text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\xa0", " ").split()
    )
    assert invoice.number in pdf_text
    assert "Laiterie des Monts" in pdf_text
    assert pdf_text.count("Claire Vidal") >= len(in_month)
    for day in in_month:
        assert day_text(day) in pdf_text, f"{day_text(day)} not in the PDF"
    total_text = f"{total:.2f}".replace(".", ",") + " €"
    assert total_text in pdf_text, pdf_text[-800:]

    # 10. The programme manager: the seven telecentres' occupancy, Murat's month not empty.
    programme = _signed_in(world.programme_manager)
    occupancy_page = programme.get(reverse("telework:occupancy"))
    said(occupancy_page, "Occupation et impact des télécentres")
    month_form = form_on(occupancy_page, has="mois")
    occupancy_page = month_form.submit(programme, reverse("telework:occupancy"), "Afficher", mois=f"{month:%Y-%m}")
    table = text(occupancy_page).split("Occupation par télécentre", 1)[1]
    for name in ["Télécentre La Gare", *OTHER_TELECENTRES]:
        assert name in table, f"{name} missing from the occupancy table"
    murat_row = re.search(r"Télécentre La Gare ([\d,]+ %) ([\d,]+ %)", table)
    assert murat_row, table[:800]
    booked, used = murat_row.groups()
    assert booked not in ("0 %", "0,0 %"), murat_row.group(0)
    assert used not in ("0 %", "0,0 %"), murat_row.group(0)

    # 11. The programme manager: the prospecting board, each company in its column.
    board = programme.get(reverse("telework:prospect_board"))
    assert board.status_code == 200
    said(board, "Assurances Volcans", "Logiciels du Massif", "Banque des Puys", "Laiterie des Monts")
    board_text = text(board)
    order = [board_text.index(name) for name in ("Banque des Puys", "Logiciels du Massif", "Assurances Volcans")]
    assert order == sorted(order), "the companies are not in the order of the pipeline's columns"
