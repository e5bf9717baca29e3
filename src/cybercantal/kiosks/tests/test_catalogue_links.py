"""The link checker and its command, against a local HTTP server on 127.0.0.1 (never the
internet): 200, 404, a redirect, a server that refuses HEAD, a timeout, a closed port."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from cybercantal.kiosks.models import Procedure
from cybercantal.kiosks.services import catalogue as services

from .factories import ProcedureFactory

pytestmark = pytest.mark.django_db


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        if self.path == "/ok":
            self.send_response(200)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/ok")
        elif self.path == "/moved-dead":
            self.send_response(301)
            self.send_header("Location", "/missing")
        elif self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        elif self.path == "/no-head":
            self.send_response(200)
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
        elif self.path == "/broken":
            self.send_response(500)
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: object) -> None:  # silence
        return


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _procedure(url: str, title: str) -> Procedure:
    # Test addresses are http:// on the loopback: written directly, the services want https.
    return ProcedureFactory(title=title, official_url=url)


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def test_check_url_answers(server):
    assert services.check_url(f"{server}/ok", opener=OPENER) == (True, "200, en ligne")
    assert services.check_url(f"{server}/moved", opener=OPENER) == (True, "200, en ligne")
    assert services.check_url(f"{server}/no-head", opener=OPENER)[0] is True
    assert services.check_url(f"{server}/missing", opener=OPENER) == (False, "erreur 404")
    assert services.check_url(f"{server}/moved-dead", opener=OPENER) == (False, "erreur 404")
    assert services.check_url(f"{server}/broken", opener=OPENER) == (False, "erreur 500")
    ok, status = services.check_url(f"{server}/slow", timeout=0.3, opener=OPENER)
    assert ok is False
    assert status == "délai dépassé"
    ok, status = services.check_url(f"http://127.0.0.1:{_closed_port()}/", timeout=2, opener=OPENER)
    assert ok is False
    assert "connexion refusée" in status


def test_check_url_reports_an_unknown_domain_without_network():
    class DnsFailure:
        def open(self, request, timeout):
            raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    assert services.check_url("https://nexiste-pas.invalid/", opener=DnsFailure()) == (
        False,
        "nom de domaine introuvable",
    )


def test_procedures_check_links_stores_results(server):
    ok = _procedure(f"{server}/ok", "Lien valide")
    moved = _procedure(f"{server}/moved", "Lien redirigé")
    dead = _procedure(f"{server}/missing", "Lien mort")
    slow = _procedure(f"{server}/slow", "Lien lent")
    before = Procedure.objects.get(pk=ok.pk).updated_at
    report = services.procedures_check_links(timeout=0.5, opener=OPENER)
    assert report.checked == 4
    assert {result.procedure_id for result in report.dead} == {dead.pk, slow.pk}
    rows = {procedure.pk: procedure for procedure in Procedure.objects.all()}
    assert rows[ok.pk].link_ok is True
    assert rows[moved.pk].link_ok is True
    assert rows[dead.pk].link_ok is False
    assert rows[dead.pk].link_status == "erreur 404"
    assert rows[slow.pk].link_status == "délai dépassé"
    assert all(row.link_checked_at is not None for row in rows.values())
    assert rows[ok.pk].updated_at == before  # a check is not an edit


def test_command_exit_code_and_french_output(server, no_proxy, capsys):
    _procedure(f"{server}/ok", "Lien valide")
    call_command("kiosks_check_links", "--timeout", "2")
    assert "Liens morts : 0" in capsys.readouterr().out

    _procedure(f"{server}/missing", "Acte de naissance")
    with pytest.raises(SystemExit) as exc:
        call_command("kiosks_check_links", "--timeout", "2")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert "Liens morts : 1" in out
    assert f"- Acte de naissance : {server}/missing (erreur 404)" in out


def test_seed_command(capsys):
    call_command("kiosks_seed_procedures")
    first = capsys.readouterr().out
    assert "Démarches ajoutées ou mises à jour" in first
    count = Procedure.objects.count()
    assert count >= 38
    call_command("kiosks_seed_procedures")
    assert "mises à jour : 0" in capsys.readouterr().out
    assert Procedure.objects.count() == count


# --- The weekly job -----------------------------------------------------------------------------


def test_weekly_job_is_registered():
    from cybercantal.core.scheduler import registered_jobs
    from cybercantal.kiosks import tasks

    [job] = [job for job in registered_jobs() if job.task is tasks.kiosks_check_links]
    assert (job.weekday, job.hour, job.minute) == (0, 5, 50)
    assert job.describe() == "chaque lundi à 05 h 50"


def test_weekly_job_stores_results_and_logs_dead_links(server, no_proxy, caplog):
    from cybercantal.kiosks import tasks

    ok = _procedure(f"{server}/ok", "Lien valide")
    dead = _procedure(f"{server}/missing", "Lien mort")
    with caplog.at_level("WARNING", logger="cybercantal.kiosks"):
        assert tasks.kiosks_check_links.call() == 1
    assert Procedure.objects.get(pk=ok.pk).link_ok is True
    assert Procedure.objects.get(pk=dead.pk).link_status == "erreur 404"
    assert "1 lien(s) mort(s) sur 2 : Lien mort (erreur 404)" in caplog.text


def test_weekly_job_does_not_fail_without_internet(no_proxy, caplog):
    from cybercantal.kiosks import tasks

    first = _procedure(f"http://127.0.0.1:{_closed_port()}/", "Premier")
    second = _procedure(f"http://127.0.0.1:{_closed_port()}/", "Second")
    with caplog.at_level("ERROR", logger="cybercantal.kiosks"):
        assert tasks.kiosks_check_links.call() == 2
    assert "aucun des 2 liens n'a répondu" in caplog.text
    for procedure in (first, second):
        procedure.refresh_from_db()
        assert procedure.link_ok is False
        assert procedure.link_checked_at is not None


def test_weekly_job_survives_an_unexpected_error(monkeypatch, caplog):
    from cybercantal.kiosks import tasks

    def broken(**kwargs):
        raise OSError("network is down")

    monkeypatch.setattr(tasks.catalogue, "procedures_check_links", broken)
    with caplog.at_level("ERROR", logger="cybercantal.kiosks"):
        assert tasks.kiosks_check_links.call() == 0
    assert "la vérification des liens a échoué" in caplog.text
