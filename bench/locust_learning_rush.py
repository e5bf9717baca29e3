"""Locust scenario: the Monday-morning rush of the ENT, beside the bare Django view (the baseline).

Run by ``bench/load_learning.py``, which prepares the accounts (and their sessions), starts
gunicorn on the bench database and runs locust headless, one user class at a time. By hand,
once ``load_learning.py`` has written the accounts file (and with gunicorn running):

    BENCH_LEARNING_USERS=/tmp/cc_bench/learning-users.json .venv/bin/locust \\
        -f bench/locust_learning_rush.py --host http://127.0.0.1:8108 \\
        --headless -u 50 -r 5 -t 120s PupilMorning

``PupilMorning`` — each simulated user is, in turn, one of the prepared pupils (never twice the
same pupil in a run: the accounts file is shared out in order) and does what a pupil does on
Monday morning, with think times (``BENCH_LEARNING_THINK``, ``"2:6"``: locust's
``between(2, 6)`` seconds) between what a person reads or answers:

0. signs in: ``BENCH_LEARNING_LOGIN=form`` (default) — the ENT sign-in page
   ``/ent/connexion/`` (GET), then its form (POST: ENT login, password, CSRF token; the real
   password check); ``cookie`` — the session prepared by ``load_learning.py`` (a real
   session row) is set, no sign-in request;
1. opens the ENT home ``/ent/``, then 2. « Mes exercices » ``/ent/mes-exercices/``, finds
   the « Commencer » form of the day's exercise (``assignment`` of the account) and
   3. starts it (POST, CSRF token of the page): a redirection to the attempt;
4. for each of the 10 questions: the question page ``/ent/tentatives/<id>/?q=<n>``; a think
   time; the answer the form allows (``fill``: a choice, boxes, a number, a text, a position
   per item, a choice or a text per blank, an essay — read from the page's own fields), sent
   as the page's script sends it (``BENCH_LEARNING_JS=1``, default): 5a. a ``fetch`` save
   when the answer changes (``Accept: application/json``, no ``go``), then 5b. the
   « Enregistrer et suivant » button (``go=next``; ``go=finish`` at the last question) whose
   JSON gives the next page's address; with ``BENCH_LEARNING_JS=0``, one plain form POST per
   question (``go=next``) and its redirection, as without JavaScript;
6. the « Rendre » page, a think time, 7. hands in (POST), 8. the review page (« bilan »).

Then the user takes the next pupil (a new browser: cookies cleared) and starts again. Each
outcome is counted (journey complete, sign-in refused, no « Commencer » button, start refused,
an answer refused, accounts exhausted…) and written at the end to the JSON file
``BENCH_LEARNING_OUTCOMES`` when set. A request whose status is not the expected one is a
failure in locust's figures.

``BareUser`` — ``/bench/bare/`` in a loop, no think time: the whole middleware stack, no
template, no query.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
from collections import Counter
from typing import Any

import gevent
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser

USERS_FILE = os.environ.get("BENCH_LEARNING_USERS", "/tmp/cc_bench/learning-users.json")  # noqa: S108
OUTCOMES_FILE = os.environ.get("BENCH_LEARNING_OUTCOMES", "")
LOGIN = os.environ.get("BENCH_LEARNING_LOGIN", "form")
USE_JS = os.environ.get("BENCH_LEARNING_JS", "1") != "0"
THINK = [float(x) for x in os.environ.get("BENCH_LEARNING_THINK", "2:6").split(":")]
THINK_MIN, THINK_MAX = THINK[0], THINK[-1]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPT_FORM = re.compile(r'<form method="post"\s+action="([^"]+)"\s+id="attempt-form"[^>]*>(.*?)</form>', re.S)
SUBMIT_FORM = re.compile(r'<form method="post"\s+action="([^"]*/rendre/)"[^>]*>(.*?)</form>', re.S)
INPUT = re.compile(r"<input\b([^>]*)>", re.S)
SELECT = re.compile(r'<select\s+name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"')
TEXTAREA = re.compile(r'<textarea\s+name="([^"]+)"')
BUTTON_GO = re.compile(r'<button type="submit" name="go" value="(next|finish)"')
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
POSITION = re.compile(r"-pos-\d+$")
SHOWN_AT = re.compile(r"-at-\d+$")  # ordering: the place an item was shown at (hidden)
TEXTS = ["Aurillac", "aurillac", "Paris", "département", "je ne sais pas"]
NUMBERS = ["3,14", "3.14", "3", "2,5"]
ESSAY = "Ma commune est entourée de prairies et de volcans ; il y a une rivière et une église romane."

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


def fill(form: str, rng: random.Random) -> list[tuple[str, str]]:
    """The fields of the attempt form ``form`` (its inner HTML) with an answer a pupil may give:
    hidden fields kept, one radio per group, some boxes, a number or a text in text inputs, a
    non-empty option per select (a permutation for the ordering positions), a text for an essay."""
    fields: list[tuple[str, str]] = []
    radios: dict[str, list[str]] = {}
    boxes: dict[str, list[str]] = {}
    for match in INPUT.finditer(form):
        attrs = dict(ATTRIBUTE.findall(match.group(1)))
        kind, name, value = attrs.get("type", "text"), attrs.get("name", ""), html.unescape(attrs.get("value", ""))
        if not name:
            continue
        if kind == "hidden":
            fields.append((name, value))
        elif kind == "radio":
            radios.setdefault(name, []).append(value)
        elif kind == "checkbox":
            boxes.setdefault(name, []).append(value)
        elif kind == "text":
            fields.append((name, rng.choice(NUMBERS if attrs.get("inputmode") == "decimal" else TEXTS)))
    for name, values in radios.items():
        fields.append((name, rng.choice(values)))
    for name, values in boxes.items():
        fields += [(name, v) for v in rng.sample(values, rng.randint(1, len(values)))]
    positions: list[tuple[str, list[str]]] = []
    for name, options in SELECT.findall(form):
        values = [v for v in OPTION.findall(options) if v]
        if POSITION.search(name):
            positions.append((name, values))
        elif values:
            fields.append((name, rng.choice(values)))
    if positions:
        order = list(positions[0][1])
        rng.shuffle(order)
        fields += [(name, order[i % len(order)]) for i, (name, _values) in enumerate(positions)]
    fields += [(name, ESSAY) for name in TEXTAREA.findall(form)]
    return fields


class BareUser(HttpUser):
    """The baseline: the bare view, in a loop."""

    wait_time = constant(0)

    @task
    def bare(self) -> None:
        self.client.get("/bench/bare/", name="/bench/bare/")


class JourneyError(Exception):
    """A step went wrong: counted (outcome), the journey stops, the user takes the next pupil."""


class PupilMorning(HttpUser):
    """A pupil signs in, opens the ENT, starts the day's exercise, answers it and hands it in."""

    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        self.rng = random.Random()  # unseeded: every run answers differently

    @task
    def journey(self) -> None:
        pool = accounts()
        index = next(_next)
        if index >= len(pool):
            outcomes["comptes épuisés (utilisateur arrêté)"] += 1
            raise StopUser
        self.account = pool[index]
        self.client.cookies.clear()  # a new pupil: a new browser
        self.client.headers["Accept-Language"] = "fr"
        try:
            self.sign_in()
            self.client.get("/ent/", name="1 accueil ENT")
            self.wait()
            attempt_url = self.start_exercise()
            self.answer_all(attempt_url)
        except JourneyError as exc:
            outcomes[str(exc)] += 1
            return
        outcomes["parcours complet (rendu, bilan affiché)"] += 1

    # --- steps -----------------------------------------------------------------------------------

    def sign_in(self) -> None:
        if LOGIN != "form":
            self.client.cookies.set(self.account["cookie_name"], self.account["session"])
            return
        page = self.client.get("/ent/connexion/", name="0a connexion (page)")
        token = CSRF.search(page.text)
        self.wait()
        with self.client.post(
            "/ent/connexion/",
            data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "identifier": self.account["login"],
                "password": self.account["password"],
            },
            headers={"Referer": page.url},
            name="0b connexion (envoi)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"connexion refusée ({response.status_code})")
                raise JourneyError(f"connexion refusée ({response.status_code})")

    def start_exercise(self) -> str:
        page = self.client.get("/ent/mes-exercices/", name="2 mes exercices")
        action = f"/ent/exercices-donnes/{self.account['assignment']}/commencer/"
        form = re.search(r'action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page.text, re.S)
        if form is None:
            raise JourneyError("pas de bouton « Commencer » pour l'exercice du jour")
        token = CSRF.search(form.group(1))
        self.wait()
        with self.client.post(
            action,
            data={"csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": page.url},
            name="3 commencer (envoi)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/tentatives/" not in location:
                response.failure(f"commencer : {response.status_code} {location}")
                raise JourneyError(f"commencer refusé ({response.status_code} vers {location or '—'})")
        return location

    def answer_all(self, url: str) -> None:
        for _ in range(40):  # 10 questions; a bound, whatever the pages say
            if "/rendre/" in url:
                self.hand_in(url)
                return
            with self.client.get(url, name="4 question (page)", catch_response=True) as page:
                form = ATTEMPT_FORM.search(page.text) if page.status_code == 200 else None
                if form is None:
                    page.failure(f"pas de formulaire de réponse ({page.status_code})")
                    raise JourneyError(f"page de question sans formulaire ({page.status_code})")
            action, inner = html.unescape(form.group(1)), form.group(2)
            button = BUTTON_GO.search(inner)
            go = button.group(1) if button else "next"
            fields = fill(inner, self.rng)
            self.wait()  # reading and answering
            answered = any(name != "csrfmiddlewaretoken" and not SHOWN_AT.search(name) for name, _v in fields)
            headers = {"Referer": page.url}
            if USE_JS:
                if answered:  # the "change" event: a fetch save of the answer
                    self.post_json(action, fields, headers, "5a réponse (enregistrement fetch)")
                    gevent.sleep(self.rng.uniform(0.3, 1.0))  # then the button
                json_body = self.post_json(action, [*fields, ("go", go)], headers, "5b réponse et suivante (envoi)")
                url = str(json_body.get("url", ""))
            else:
                with self.client.post(
                    action,
                    data=[*fields, ("go", go)],
                    headers=headers,
                    name="5b réponse et suivante (envoi)",
                    allow_redirects=False,
                    catch_response=True,
                ) as response:
                    if response.status_code != 302:
                        response.failure(f"réponse : {response.status_code}")
                        raise JourneyError(f"réponse refusée ({response.status_code})")
                    url = response.headers.get("Location", "")
            if not url:
                raise JourneyError("réponse sans page suivante")
        raise JourneyError("plus de 40 pages de questions")

    def post_json(self, action: str, fields: list[tuple[str, str]], headers: dict[str, str], name: str) -> Any:
        with self.client.post(
            action,
            data=fields,
            headers={**headers, "Accept": "application/json"},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code != 200 or not body.get("ok"):
                response.failure(f"{name} : {response.status_code} {body.get('code', '')}")
                raise JourneyError(f"réponse refusée ({response.status_code} {body.get('code', '')})")
            return body

    def hand_in(self, url: str) -> None:
        page = self.client.get(url, name="6 rendre (page)")
        form = SUBMIT_FORM.search(page.text)
        if form is None:
            raise JourneyError(f"page « Rendre » sans formulaire ({page.status_code})")
        token = CSRF.search(form.group(2))
        self.wait()
        with self.client.post(
            html.unescape(form.group(1)),
            data={"csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": page.url},
            name="7 rendre (envoi)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/bilan/" not in location:
                response.failure(f"rendre : {response.status_code}")
                raise JourneyError(f"rendre refusé ({response.status_code})")
        self.client.get(location, name="8 bilan")
