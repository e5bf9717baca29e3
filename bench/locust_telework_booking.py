"""Locust scenario: a teleworker's booking journey, beside the bare Django view (the baseline).

Run by ``bench/load_telework.py``, which prepares the accounts and their sessions, starts
gunicorn on the bench database and runs locust headless, one user class at a time. By hand,
once ``load_telework.py`` has written the accounts file (and with gunicorn running):

    BENCH_TELEWORK_USERS=/tmp/cc_bench/telework-users.json .venv/bin/locust \\
        -f bench/locust_telework_booking.py --host http://127.0.0.1:8108 \\
        --headless -u 10 -r 10 -t 60s BookingJourney

``BookingJourney`` — each simulated user is one of the prepared members (a carnet at the
telecentre, so every free half-day of its seat pool is open to them) and, in a loop without
think time:

1. opens the week availability of the telecentre (``?vue=semaine&jour=…``, a week among the
   next eight);
2. picks one of the free half-days the page links to (morning or afternoon of a pool) and
   opens the booking form it leads to (prefilled);
3. continues to the check step (``&etape=verifier``: the price, the cancellation terms);
4. confirms (POST, with the CSRF token of the page): a redirection to the booking is a
   success; the conflict page (409: taken in the meantime) and the form shown again with a
   message (already booked at that time, a quota) are normal outcomes, counted apart;
5. opens the booking's page after a success, then « mes réservations ».

Sign-in (``BENCH_TELEWORK_LOGIN``): ``cookie`` (default) — each user gets the session cookie
prepared by ``load_telework.py`` (``Client.force_login``: a real session row in the database);
``form`` — each user signs in once through the real sign-in form (``/compte/login/``, CSRF,
password check; allauth allows 30 sign-ins a minute per address).

``BareUser`` — ``/bench/bare/`` in a loop: the whole middleware stack, no template, no query.

The outcomes (booked, taken, refused, no free half-day) are written at the end to the JSON
file ``BENCH_TELEWORK_OUTCOMES`` when set.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import os
import random
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from locust import HttpUser, constant, events, task

USERS_FILE = os.environ.get("BENCH_TELEWORK_USERS", "/tmp/cc_bench/telework-users.json")  # noqa: S108
OUTCOMES_FILE = os.environ.get("BENCH_TELEWORK_OUTCOMES", "")
LOGIN = os.environ.get("BENCH_TELEWORK_LOGIN", "cookie")
WEEKS_AHEAD = 10  # the pool is booked up to 90 days ahead: 10 weeks + the rest of this one fit
PARIS = ZoneInfo("Europe/Paris")
FREE_HALF_DAY = re.compile(
    r'<a class="slot slot--free" href="([^"]*/reserver/\?[^"]*moment=(?:morning|afternoon)[^"]*)"'
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONFIRM_FORM = re.compile(r'<form method="post" action="([^"]*/reserver/)">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')

outcomes: Counter[str] = Counter()
_accounts: list[dict[str, Any]] = []
_next = itertools.count()


def accounts() -> list[dict[str, Any]]:
    if not _accounts:
        with open(USERS_FILE, encoding="utf-8") as handle:
            _accounts.extend(json.load(handle))
    return _accounts


@events.quitting.add_listener
def _write_outcomes(environment: Any, **kwargs: Any) -> None:
    if OUTCOMES_FILE:
        with open(OUTCOMES_FILE, "w", encoding="utf-8") as handle:
            json.dump(dict(outcomes), handle, ensure_ascii=False)


class BareUser(HttpUser):
    """The baseline: the bare view, in a loop."""

    wait_time = constant(0)

    @task
    def bare(self) -> None:
        self.client.get("/bench/bare/", name="/bench/bare/")


class BookingJourney(HttpUser):
    """A member of the telecentre books a free half-day of its pool, from the week grid."""

    wait_time = constant(0)

    def on_start(self) -> None:
        pool = accounts()
        self.account = pool[next(_next) % len(pool)]
        self.slug = self.account["slug"]
        self.rng = random.Random()  # unseeded: a seed would repeat the same bookings at each run
        self.client.headers["Accept-Language"] = "fr"
        self.booked: set[str] = set()
        if LOGIN == "form":
            page = self.client.get("/compte/login/", name="0 connexion (formulaire)")
            token = CSRF.search(page.text)
            response = self.client.post(
                "/compte/login/",
                data={
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "login": self.account["email"],
                    "password": self.account["password"],
                },
                headers={"Referer": page.url},
                name="0 connexion (envoi)",
                allow_redirects=False,
            )
            if response.status_code != 302:
                raise RuntimeError(f"connexion refusée pour {self.account['email']} : {response.status_code}")
        else:
            self.client.cookies.set(self.account["cookie_name"], self.account["session"])

    @task
    def journey(self) -> None:
        today = dt.datetime.now(tz=PARIS).date()
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=self.rng.randint(1, WEEKS_AHEAD))
        week = self.client.get(
            f"/telecentres/{self.slug}/disponibilites/?vue=semaine&jour={monday.isoformat()}",
            name="1 disponibilités de la semaine",
        )
        links = [html.unescape(link) for link in FREE_HALF_DAY.findall(week.text)]
        if not links:
            outcomes["aucune demi-journée libre"] += 1
            return
        link = self.rng.choice(links)
        self.client.get(link, name="2 formulaire de réservation")
        with self.client.get(link + "&etape=verifier", name="3 vérification", catch_response=True) as check:
            if check.status_code == 409:  # taken since the grid was read: the alternatives page
                check.success()
                outcomes["complet à la vérification"] += 1
                self.my_bookings()
                return
            form = CONFIRM_FORM.search(check.text)
            if check.status_code == 200 and form is None and "existe déjà à ce moment-là" in check.text:
                check.success()  # the person already holds that half-day: the page says so, no form
                outcomes["déjà réservée (dit à la vérification)"] += 1
                self.my_bookings()
                return
            if check.status_code != 200 or form is None:
                check.failure(f"pas de formulaire de confirmation ({check.status_code})")
                return
        data = dict(HIDDEN.findall(form.group(2)))
        token = CSRF.search(form.group(2))
        data["csrfmiddlewaretoken"] = token.group(1) if token else ""
        data = {name: html.unescape(value) for name, value in data.items()}
        with self.client.post(
            html.unescape(form.group(1)),
            data=data,
            headers={"Referer": check.url},
            name="4 réserver (envoi)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
                location = response.headers.get("Location", "")
                # Booking again a half-day already held leads to that booking (a double submit).
                outcomes["déjà réservée (renvoi vers la réservation)" if location in self.booked else "réservée"] += 1
                self.booked.add(location)
            elif response.status_code == 409:
                response.success()
                outcomes["complet (conflit propre)"] += 1
                location = ""
            elif response.status_code == 200:
                response.success()
                outcomes["refusée avec un message (déjà réservé, quota…)"] += 1
                location = ""
            else:
                response.failure(f"réponse {response.status_code}")
                outcomes[f"erreur {response.status_code}"] += 1
                return
        if location:
            self.client.get(location, name="5 page de la réservation")
        self.my_bookings()

    def my_bookings(self) -> None:
        self.client.get("/telecentres/mes-reservations/", name="6 mes réservations")
