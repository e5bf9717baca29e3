"""The kiosk fleet under load (issue 5): 1,000 kiosks' heartbeats and kiosk-mode browsing at once.

    .venv/bin/python bench/bench_kiosk_fleet_load.py                  # 120 s, 1,000 kiosks, 5 browsers
    .venv/bin/python bench/bench_kiosk_fleet_load.py --duration 60
    .venv/bin/python bench/bench_kiosk_fleet_load.py --reuse --browsers 10 --think 1-4

The bench database is ``cc_bench_kiosk_load`` on the local PostgreSQL, built as the two
in-process kiosk benches build theirs (``bench_kiosk_home.prepare``: the schema, 101 kiosks,
40 published procedures over every category; then ``bench_kiosk_heartbeats._fleet``: 1,000
``bench-`` kiosks with fresh tokens). ``--reuse`` keeps the database if it is already there
(only the tokens are made again and the bench kiosks' heartbeats deleted). Then it starts
gunicorn itself on 127.0.0.1 (``--port``, 8108; ``--workers`` sync workers, 2; ``bench_settings``;
``TRUSTED_PROXY_COUNT=1`` as behind the nginx of ``deploy/``, so that each kiosk and each browser
sends its own address in ``X-Forwarded-For`` and the per-address rate limits see 1,000 kiosks,
not one), like ``load_directory.py``, warms it up (``--warmup`` rounds of each page and a heartbeat,
not counted), and for ``--duration`` seconds (120) runs at the same time:

- the heartbeats: each kiosk posts ``POST /api/bornes/signal`` (bearer token, ``{"version": …}``)
  once a minute, the 1,000 kiosks spread evenly over the minute (~16.7 per second), open loop:
  each heartbeat leaves at its planned time, from a pool of ``--heartbeat-threads`` threads
  (``http.client``, one connection per request as gunicorn's sync workers close it); the delay
  between the planned and the real departure is printed (it says whether the generator kept up);
- ``--browsers`` people (5), each at a kiosk of its own, walking the kiosk pages with think times
  (``--think``, 2 to 6 s; they arrive one after the other over the first think time): home, a
  category, a procedure, back home, another category… ("help" is never pressed); after
  ``--pages-per-session`` pages on average (9) the person leaves: the idle reset ``/fin/``
  flushes the session, the cookies are dropped and the next person's first page is the home
  page (the first page of a kiosk session: session created and counted).

Printed: heartbeats sent, errors, p50 / p95 / p99 seen by the client, and the rows stored; the
kiosk home page p50 / p95 (session already open, and first page of a session), the other pages'
p95; the time Django spent on each (gunicorn's request log, ``duration_ms``); the server CPU
seconds used during the run by gunicorn (master and workers, ``/proc/<pid>/stat``) and by
PostgreSQL (the backends of the bench database, and the whole server with its background
processes, which on a shared machine includes other people's work), and that CPU per 1,000
kiosk-minutes (one heartbeat is one kiosk-minute; the browsing is included, it is part of the
fleet's life); the load average of the machine (``os.getloadavg()``) before and after, and the CPU
this load generator used (it runs on the same cores). gunicorn is stopped at the end, whatever
happens (error, Ctrl-C, SIGTERM). Figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import bench_kiosk_heartbeats
import bench_kiosk_home
import benchlib
from load_directory import HOST, Gunicorn

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_kiosk_load"
TARGET_HOME_P95_MS = bench_kiosk_home.TARGET_P95_MS
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- preparation ----------------------------------------------------------------------------


def _database_exists(url: str) -> bool:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=5) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def prepare(url: str, *, kiosks: int, reuse: bool) -> dict[str, Any]:
    """The bench database (as the two kiosk benches build it) and the fleet's tokens."""
    reused = False
    if reuse and _database_exists(url):
        benchlib.configure_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        from cybercantal.kiosks.models import Kiosk, Procedure

        reused = Kiosk.objects.filter(code="murat").exists() and Procedure.objects.count() >= 40
    if not reused:
        bench_kiosk_home.prepare(url)  # drops and creates the database, migrates, kiosks, procedures
    from django.db import connections

    from cybercantal.kiosks.models import Kiosk, KioskStatus, Procedure

    fleet = bench_kiosk_heartbeats._fleet(kiosks)
    browsing_kiosks = [
        "murat",
        *Kiosk.objects.filter(code__startswith="borne-", status=KioskStatus.IN_SERVICE)
        .order_by("code")
        .values_list("code", flat=True)[:50],
    ]
    procedures = list(Procedure.objects.order_by("slug").values_list("slug", "category"))
    info = {
        "fleet": [token for token, _ip in fleet],
        "browsing_kiosks": browsing_kiosks,
        "categories": sorted({category for _slug, category in procedures}),
        "procedures": procedures,
        "reused": reused,
        "kiosk_rows": Kiosk.objects.count(),
    }
    connections.close_all()
    return info


# --- CPU of the server's processes (/proc) --------------------------------------------------


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(comm, ppid, own CPU ticks, reaped children's CPU ticks) of ``pid``; None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3 of proc(5)): utime is field 14, stime 15, cutime 16, cstime 17.
    return comm, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _all_stats() -> dict[int, tuple[str, int, int, int]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                stats[int(entry)] = stat
    return stats


def tree_cpu(root: int, stats: dict[int, tuple[str, int, int, int]]) -> int:
    """CPU ticks of ``root`` and all its descendants, including those already reaped: the root's
    own, its reaped children's (``cutime``/``cstime``), and the live descendants' own and reaped."""
    children: dict[int, list[int]] = {}
    for pid, (_comm, ppid, _own, _reaped) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid not in stats:
            continue
        _comm, _ppid, own, reaped = stats[pid]
        total += own + (reaped if pid == root else 0)
        todo.extend(children.get(pid, []))
    # The live descendants' own reaped children are counted in their cutime when they exit and
    # are reaped by them; with gunicorn and PostgreSQL the root reaps all, so the root's is enough.
    return total


def postmaster_pid(stats: dict[int, tuple[str, int, int, int]]) -> int | None:
    for pid, (comm, ppid, _own, _reaped) in stats.items():
        if comm == "postgres" and stats.get(ppid, ("",))[0] != "postgres":
            return pid
    return None


class CpuMeter:
    """Samples every second, during the run, the CPU of gunicorn's tree, of the whole PostgreSQL
    server, and of the PostgreSQL backends connected to the bench database (by their title)."""

    def __init__(self, gunicorn_pid: int, database: str) -> None:
        self.gunicorn_pid, self.database = gunicorn_pid, database
        self.backends: dict[int, list[int]] = {}  # pid -> [ticks at first sight (or at start), last ticks]
        self.start_ticks: dict[str, int] = {}
        self.end_ticks: dict[str, int] = {}
        self.postmaster: int | None = None
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _backends(self, stats: dict[int, tuple[str, int, int, int]], *, first: bool) -> None:
        for pid, (comm, ppid, own, _reaped) in stats.items():
            if comm != "postgres" or ppid != self.postmaster:
                continue
            if pid not in self.backends:
                words = _cmdline(pid).split()
                if self.database not in words:
                    continue
                # A backend seen at the start counts from there; a new one from its birth (0).
                self.backends[pid] = [own if first else 0, own]
            else:
                self.backends[pid][1] = own

    def _totals(self, stats: dict[int, tuple[str, int, int, int]]) -> dict[str, int]:
        return {
            "gunicorn": tree_cpu(self.gunicorn_pid, stats),
            "postgres": tree_cpu(self.postmaster, stats) if self.postmaster else 0,
        }

    def start(self) -> None:
        stats = _all_stats()
        self.postmaster = postmaster_pid(stats)
        self._backends(stats, first=True)
        self.start_ticks = self._totals(stats)
        self.started = time.perf_counter()
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop_event.wait(1.0):
            self._backends(_all_stats(), first=False)

    def stop(self) -> dict[str, float]:
        self.stop_event.set()
        self.thread.join(timeout=5)
        stats = _all_stats()
        self._backends(stats, first=False)
        self.end_ticks = self._totals(stats)
        elapsed = time.perf_counter() - self.started
        seconds = {k: (self.end_ticks[k] - self.start_ticks[k]) / CLOCK_TICKS for k in self.start_ticks}
        seconds["backends"] = sum(last - first for first, last in self.backends.values()) / CLOCK_TICKS
        seconds["backend_count"] = len(self.backends)
        seconds["elapsed"] = elapsed
        return seconds


# --- the load -------------------------------------------------------------------------------


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    heartbeats: list[float] = field(default_factory=list)  # ms, answered 204
    heartbeat_errors: dict[str, int] = field(default_factory=dict)
    heartbeat_lag: list[float] = field(default_factory=list)  # ms between planned and real departure
    heartbeat_sent: int = 0
    pages: dict[str, list[float]] = field(default_factory=dict)
    page_errors: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    slow_homes: list[tuple[float, float]] = field(default_factory=list)  # (time.time() sent, ms) over the target

    def page(self, name: str, took: float, problem: str, sent_at: float) -> None:
        with self.lock:
            if problem:
                key = f"{name} : {problem}"
                self.page_errors[key] = self.page_errors.get(key, 0) + 1
            else:
                self.pages.setdefault(name, []).append(took)
                if name.startswith("accueil") and took >= TARGET_HOME_P95_MS:
                    self.slow_homes.append((sent_at, took))


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None, timeout: float = 30.0
) -> tuple[int, list[tuple[str, str]]]:
    """One request on loopback (one connection): status and headers; the body is read and dropped."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"Connection": "close", **headers})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        connection.close()


def heartbeats(
    port: int, tokens: list[str], *, duration: float, threads: int, results: Results, stop: threading.Event
) -> None:
    """Open loop: heartbeat ``n`` leaves at ``start + n × 60 / len(tokens)`` s, kiosk ``n mod len``."""
    interval = 60.0 / len(tokens)
    body = json.dumps({"version": "2.4.1"}).encode()

    def send(index: int, planned: float) -> None:
        token = tokens[index]
        ip = f"10.{index // 62500}.{index // 250 % 250}.{index % 250 + 1}"
        departed = time.perf_counter()
        try:
            status, _headers = request(
                port,
                "POST",
                "/api/bornes/signal",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-Forwarded-For": ip},
                body,
            )
            problem = "" if status == 204 else f"HTTP {status}"
        except OSError as exc:
            problem = type(exc).__name__
        took = (time.perf_counter() - departed) * 1000
        with results.lock:
            results.heartbeat_lag.append((departed - planned) * 1000)
            if problem:
                results.heartbeat_errors[problem] = results.heartbeat_errors.get(problem, 0) + 1
            else:
                results.heartbeats.append(took)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="signal") as pool:
        start = time.perf_counter()
        n = 0
        while not stop.is_set():
            planned = start + n * interval
            if planned - start >= duration:
                break
            wait = planned - time.perf_counter()
            if wait > 0 and stop.wait(wait):
                break
            pool.submit(send, n % len(tokens), planned)
            with results.lock:
                results.heartbeat_sent += 1
            n += 1


def browser(
    port: int,
    number: int,
    info: dict[str, Any],
    *,
    deadline: float,
    think: tuple[float, float],
    pages_per_session: int,
    results: Results,
    stop: threading.Event,
) -> None:
    """One person after another at the kiosk ``number``: home, a category, a procedure, home…"""
    rng = random.Random(500 + number)
    code = info["browsing_kiosks"][number % len(info["browsing_kiosks"])]
    ip = f"192.168.{number // 250}.{number % 250 + 1}"
    by_category: dict[str, list[str]] = {}
    for slug, category in info["procedures"]:
        by_category.setdefault(category, []).append(slug)
    cookies: dict[str, str] = {}

    def get(name: str, path: str, *, expect: int = 200) -> None:
        headers = {"Accept-Language": "fr", "X-Forwarded-For": ip}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        sent_at = time.time()
        started = time.perf_counter()
        try:
            status, answer = request(port, "GET", path, headers)
            problem = "" if status == expect else f"HTTP {status}"
        except OSError as exc:
            status, answer, problem = 0, [], type(exc).__name__
        took = (time.perf_counter() - started) * 1000
        for key, value in answer:
            if key.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    if morsel.value and morsel["max-age"] != "0":
                        cookies[morsel.key] = morsel.value
                    else:
                        cookies.pop(morsel.key, None)
        if time.perf_counter() < deadline:  # a page answered after the end is not counted
            results.page(name, took, problem, sent_at)

    def pause() -> bool:
        return not stop.wait(rng.uniform(*think))

    first = True
    if stop.wait(rng.uniform(0, think[1])):  # the people do not all arrive at the same instant
        return
    while time.perf_counter() < deadline and not stop.is_set():
        if first:
            with results.lock:
                results.sessions += 1
            get("accueil — 1re page d'une session", f"/borne/{code}/")
            first = False
        else:
            get("accueil — session ouverte", f"/borne/{code}/")
        if not pause():
            break
        category = rng.choice(info["categories"])
        get("catégorie", f"/borne/{code}/categorie/{category}/")
        if not pause():
            break
        get("démarche", f"/borne/{code}/demarche/{rng.choice(by_category[category])}/")
        if not pause():
            break
        if rng.random() < 3 / max(pages_per_session, 3):  # the person leaves: idle reset
            get("fin (remise à zéro)", f"/borne/{code}/fin/", expect=302)
            cookies.clear()  # Clear-Site-Data: the browser drops its cookies
            first = True


def warm_up(port: int, info: dict[str, Any], *, rounds: int) -> None:
    """Not counted: each page and the heartbeat a few times, two at a time (both workers load
    their templates, URL resolvers and connections). The heartbeats use the last kiosks' tokens
    (their next heartbeat is due ~1 minute later; these rows are subtracted from the count)."""
    code = info["browsing_kiosks"][0]
    slug, category = info["procedures"][0]

    def one(n: int) -> None:
        headers = {"Accept-Language": "fr", "X-Forwarded-For": f"172.16.0.{n % 250 + 1}"}
        for path in (f"/borne/{code}/", f"/borne/{code}/categorie/{category}/", f"/borne/{code}/demarche/{slug}/"):
            request(port, "GET", path, headers)
        request(
            port,
            "POST",
            "/api/bornes/signal",
            {**headers, "Authorization": f"Bearer {info['fleet'][-1 - n % len(info['fleet'])]}"},
            b"",
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, range(rounds)))


def server_times(log: Path, offset: int) -> dict[str, list[float]]:
    """Django's time per kind of request (gunicorn's request log, after ``offset``)."""
    times: dict[str, list[float]] = {}
    for entry in benchlib.request_log_entries(log, offset):
        path = str(entry.get("path", ""))
        if path == "/api/bornes/signal":
            kind = "signal de vie"
        elif "/categorie/" in path:
            kind = "catégorie"
        elif "/demarche/" in path:
            kind = "démarche"
        elif path.endswith("/fin/"):
            kind = "fin (remise à zéro)"
        elif path.startswith("/borne/") and path.count("/") == 3:
            kind = "accueil (les deux cas)"
        else:
            continue
        times.setdefault(kind, []).append(float(entry.get("duration_ms", "nan")))
    return times


def _think(text: str) -> tuple[float, float]:
    low, _sep, high = text.partition("-")
    values = (float(low), float(high or low))
    if values[0] < 0 or values[1] < values[0]:
        raise argparse.ArgumentTypeError(f"temps de réflexion invalide : {text}")
    return values


def _p(values: list[float], fraction: float) -> str:
    return benchlib.ms(benchlib.percentile(values, fraction))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help=f"une base PostgreSQL cc_bench… [{DEFAULT_URL}]")
    parser.add_argument("--duration", type=int, default=120, help="secondes de charge [120]")
    parser.add_argument("--kiosks", type=int, default=1000, help="bornes, un signal par minute chacune [1000]")
    parser.add_argument("--browsers", type=int, default=5, help="personnes qui naviguent en même temps [5]")
    parser.add_argument("--think", type=_think, default=(2.0, 6.0), help="temps de réflexion, s (min-max) [2-6]")
    parser.add_argument("--pages-per-session", type=int, default=9, help="pages par personne, en moyenne [9]")
    parser.add_argument("--heartbeat-threads", type=int, default=32, help="fils d'envoi des signaux [32]")
    parser.add_argument("--warmup", type=int, default=20, help="tours de chauffe non comptés [20]")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=benchlib.GUNICORN_PORT)
    parser.add_argument("--reuse", action="store_true", help="garde la base si elle est déjà construite")
    args = parser.parse_args(argv)
    args.duration = max(10, min(args.duration, 1800))
    args.kiosks = max(1, min(args.kiosks, 20000))
    args.browsers = max(0, min(args.browsers, 100))
    args.workers = max(1, min(args.workers, 8))
    url = args.database_url
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    benchlib.check_bench_database(url)
    database = url.rsplit("/", 1)[-1]
    benchlib.VAR_DIR.mkdir(parents=True, exist_ok=True)

    print(f"  préparation de {database}…", file=sys.stderr, flush=True)
    info = prepare(url, kiosks=args.kiosks, reuse=args.reuse)
    from django.db import connections

    from cybercantal.kiosks.models import Heartbeat

    # Behind nginx (deploy/): the client's address is read in X-Forwarded-For, so that each kiosk
    # has its own address for the per-address rate limits, as in production.
    os.environ["TRUSTED_PROXY_COUNT"] = "1"
    log = benchlib.VAR_DIR / f"gunicorn-kiosk-fleet-{args.port}.log"
    requests_log = log.with_suffix(".requests.log")
    server = Gunicorn(url, args.port, args.workers, 1, log)

    def interrupted(signum: int, _frame: Any) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    results = Results()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        server.start()
        assert server.process is not None
        warm_up(args.port, info, rounds=args.warmup)
        stored_before = Heartbeat.objects.filter(kiosk__code__startswith="bench-").count()
        connections.close_all()  # this process's own backend is not the server's work
        offset = requests_log.stat().st_size if requests_log.exists() else 0
        load_before = os.getloadavg()
        meter = CpuMeter(server.process.pid, database)
        client_cpu = time.process_time()
        meter.start()
        started = time.perf_counter()
        deadline = started + args.duration
        print(
            f"  charge : {args.kiosks} bornes, {args.browsers} personnes, {args.duration} s…",
            file=sys.stderr,
            flush=True,
        )
        threads.append(
            threading.Thread(
                target=heartbeats,
                args=(args.port, info["fleet"]),
                kwargs={
                    "duration": args.duration,
                    "threads": args.heartbeat_threads,
                    "results": results,
                    "stop": stop,
                },
                daemon=True,
            )
        )
        browsing = {
            "deadline": deadline,
            "think": args.think,
            "pages_per_session": args.pages_per_session,
            "results": results,
            "stop": stop,
        }
        threads.extend(
            threading.Thread(target=browser, args=(args.port, number, info), kwargs=browsing, daemon=True)
            for number in range(args.browsers)
        )
        for thread in threads:
            thread.start()
        while time.perf_counter() < deadline:
            time.sleep(0.2)
        stop.set()
        for thread in threads:  # the heartbeats' pool finishes the requests already sent
            thread.join(timeout=max(0.0, deadline + 60 - time.perf_counter()))
        cpu = meter.stop()
        client_cpu = time.process_time() - client_cpu
        load_after = os.getloadavg()
    except KeyboardInterrupt:
        stop.set()
        print("\nInterrompu : gunicorn est arrêté.", file=sys.stderr)
        return 130
    finally:
        stop.set()
        server.stop()

    # The bench kiosks' earlier heartbeats were deleted by the preparation; the warm-up's are subtracted.
    stored = Heartbeat.objects.filter(kiosk__code__startswith="bench-").count() - stored_before
    times = server_times(requests_log, offset)
    sent = results.heartbeat_sent
    answered = len(results.heartbeats)
    errors = sum(results.heartbeat_errors.values())
    kiosk_minutes = answered
    wall = cpu["elapsed"]
    print(
        f"\n## Parc de bornes sous charge — gunicorn {args.workers} workers sync sur {HOST}:{args.port}, "
        f"PostgreSQL ({database}{', gardée' if info['reused'] else ', reconstruite'}, "
        f"{info['kiosk_rows']} bornes), {args.duration} s ; {os.cpu_count()} cœurs partagés, "
        f"charge moyenne au départ {' '.join(f'{v:.2f}' for v in load_before)}, "
        f"à la fin {' '.join(f'{v:.2f}' for v in load_after)}\n"
    )
    print(
        f"Signaux de vie : {args.kiosks} bornes × 1 par minute ({args.kiosks / 60:.1f}/s), "
        f"{benchlib.number(sent)} envoyés, {benchlib.number(answered)} réponses 204, {errors} erreur(s)"
        f"{' ' + json.dumps(results.heartbeat_errors, ensure_ascii=False) if errors else ''} ; "
        f"lignes enregistrées : {benchlib.number(stored)}."
    )
    print(
        f"Latence vue du client : p50 {_p(results.heartbeats, 0.5)} ms, p95 {_p(results.heartbeats, 0.95)} ms, "
        f"p99 {_p(results.heartbeats, 0.99)} ms, max {benchlib.ms(max(results.heartbeats, default=float('nan')))} ms ; "
        f"retard au départ p95 {_p(results.heartbeat_lag, 0.95)} ms, "
        f"max {benchlib.ms(max(results.heartbeat_lag, default=float('nan')))} ms.\n"
    )
    print(
        f"Navigation : {args.browsers} personnes, réflexion {args.think[0]:g} à {args.think[1]:g} s, "
        f"{results.sessions} sessions de borne ouvertes.\n"
    )
    order = [
        "accueil — session ouverte",
        "accueil — 1re page d'une session",
        "catégorie",
        "démarche",
        "fin (remise à zéro)",
    ]
    rows = [
        [
            name,
            len(results.pages.get(name, [])),
            _p(results.pages.get(name, []), 0.5),
            _p(results.pages.get(name, []), 0.95),
            benchlib.ms(max(results.pages.get(name, []), default=float("nan"))),
        ]
        for name in order
    ]
    print(benchlib.table(["page (vue du client)", "requêtes", "p50 ms", "p95 ms", "max ms"], rows, align="l"))
    if results.slow_homes:
        slow = ", ".join(
            f"{time.strftime('%H:%M:%S', time.gmtime(at))}.{int(at % 1 * 1000):03d} UTC {took:.0f} ms"
            for at, took in sorted(results.slow_homes)
        )
        print(
            f"\nAccueils au-delà de {TARGET_HOME_P95_MS:.0f} ms (heure d'envoi, à rapprocher du journal "
            f"{requests_log}) : {slow}."
        )
    if results.page_errors:
        print(f"\nErreurs de navigation : {json.dumps(results.page_errors, ensure_ascii=False)}")
    if times:
        print("\nTemps passé dans Django (journal des requêtes de gunicorn, sans l'attente d'un worker libre) :\n")
        kinds = ["signal de vie", "accueil (les deux cas)", "catégorie", "démarche", "fin (remise à zéro)"]
        rows = [[k, len(times.get(k, [])), _p(times.get(k, []), 0.5), _p(times.get(k, []), 0.95)] for k in kinds]
        print(benchlib.table(["requête", "nombre", "p50 ms", "p95 ms"], rows, align="l"))
    home = results.pages.get("accueil — session ouverte", [])
    home_first = results.pages.get("accueil — 1re page d'une session", [])
    p95 = benchlib.percentile(home, 0.95)
    p95_first = benchlib.percentile(home_first, 0.95)
    server_cpu = cpu["gunicorn"] + cpu["postgres"]
    per_1000 = (lambda s: s / kiosk_minutes * 1000) if kiosk_minutes else (lambda s: float("nan"))
    print(
        f"\nCPU du serveur pendant la charge ({wall:.1f} s) : gunicorn (maître et workers) {cpu['gunicorn']:.1f} s ; "
        f"PostgreSQL, processus de la base {database} ({cpu['backend_count']:.0f}) {cpu['backends']:.1f} s, "
        f"serveur entier (dont processus de fond et autres bases de la machine partagée) {cpu['postgres']:.1f} s."
    )
    print(
        f"Par 1 000 bornes-minutes ({benchlib.number(kiosk_minutes)} signaux, navigation comprise) : "
        f"gunicorn {per_1000(cpu['gunicorn']):.2f} s, PostgreSQL (base du banc) {per_1000(cpu['backends']):.2f} s, "
        f"PostgreSQL (serveur entier) {per_1000(cpu['postgres']):.2f} s, gunicorn + PostgreSQL entier "
        f"{per_1000(server_cpu):.2f} s, soit {server_cpu / wall * 100:.1f} % d'un cœur pendant la charge "
        f"({args.kiosks} bornes et {args.browsers} personnes)."
    )
    print(
        f"Générateur de charge (ce processus, mêmes cœurs) : {client_cpu:.1f} s de CPU "
        f"({client_cpu / wall * 100:.0f} % d'un cœur)."
    )
    print(
        f"\nAccueil de la borne, objectif p95 < {TARGET_HOME_P95_MS:.0f} ms : "
        f"session ouverte {benchlib.ms(p95)} ms ({'atteint' if p95 < TARGET_HOME_P95_MS else 'MANQUÉ'}), "
        f"1re page {benchlib.ms(p95_first)} ms ({'atteint' if p95_first < TARGET_HOME_P95_MS else 'MANQUÉ'})."
    )
    failed = errors > 0 or bool(results.page_errors)
    if failed:
        print(f"\nDes requêtes ont échoué ; journal : {log}")
        print(server.tail())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
