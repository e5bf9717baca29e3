"""The heartbeat client shipped for the kiosk devices (``deploy/kiosk/cybercantal-borne-signal``),
run against a local HTTP server with a temporary configuration directory."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "deploy" / "kiosk" / "cybercantal-borne-signal"
TOKEN = "kb_s3cr3t-T0ken-for-tests_0123456789abcdef"

pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("sh") is None,
    reason="curl (or sh) is not installed here; the heartbeat client needs curl",
)


class Recorder(BaseHTTPRequestHandler):
    status = 204
    seen: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).seen.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "body": self.rfile.read(length).decode(),
            }
        )
        self.send_response(type(self).status)
        if type(self).status == 429:
            self.send_header("Retry-After", "30")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    Recorder.status = 204
    Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def conf(tmp_path, server):
    directory = tmp_path / "cybercantal-borne"
    directory.mkdir()
    token = directory / "jeton"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)
    (directory / "adresse").write_text(f"http://127.0.0.1:{server.server_port}/\n")
    return directory


def run(conf: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CYBERCANTAL_BORNE_CONF": str(conf),
        "CYBERCANTAL_BORNE_DELAI": "5",
        **env,
    }
    shell = shutil.which("sh") or "/bin/sh"
    return subprocess.run([shell, str(SCRIPT)], env=environment, capture_output=True, text=True, timeout=30)  # noqa: S603


def test_script_is_executable_posix_shell():
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")
    assert SCRIPT.stat().st_mode & stat.S_IXUSR


def test_accepted_signal_sends_bearer_header_and_version(conf):
    (conf / "version").write_text("2.4.1\n")
    result = run(conf)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    [request] = Recorder.seen
    assert request["path"] == "/api/bornes/signal"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["content_type"] == "application/json"
    assert json.loads(request["body"]) == {"version": "2.4.1"}


def test_without_version_and_with_full_endpoint(conf, server):
    (conf / "adresse").write_text(f"http://127.0.0.1:{server.server_port}/api/bornes/signal")
    assert run(conf).returncode == 0
    assert Recorder.seen[0]["path"] == "/api/bornes/signal"
    assert json.loads(Recorder.seen[0]["body"]) == {}


def test_unsafe_version_is_dropped(conf):
    result = run(conf, CYBERCANTAL_BORNE_VERSION='1.0", "x": "y')
    assert result.returncode == 0
    assert json.loads(Recorder.seen[0]["body"]) == {}
    assert "version ignorée" in result.stderr


@pytest.mark.parametrize(
    ("status", "code", "message"), [(401, 5, "jeton refusé"), (429, 6, "trop de signaux"), (500, 7, "HTTP 500")]
)
def test_refusals_have_their_exit_code_and_never_log_the_token(conf, status, code, message):
    Recorder.status = status
    result = run(conf)
    assert result.returncode == code
    assert message in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_unreachable_platform(conf, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (conf / "adresse").write_text(f"http://127.0.0.1:{port}")
    result = run(conf)
    assert result.returncode == 4
    assert "injoignable" in result.stderr
    assert TOKEN not in result.stderr


def test_configuration_errors(conf):
    (conf / "jeton").chmod(0o644)
    result = run(conf)
    assert result.returncode == 2
    assert "lisible par d'autres comptes" in result.stderr
    (conf / "jeton").chmod(0o600)
    (conf / "adresse").write_text("ftp://example.org")
    assert run(conf).returncode == 2
    (conf / "adresse").unlink()
    assert run(conf).returncode == 2
    (conf / "jeton").unlink()
    result = run(conf)
    assert result.returncode == 2
    assert "jeton illisible ou absent" in result.stderr
    assert Recorder.seen == []


def test_systemd_credential_is_preferred(conf, tmp_path):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "jeton").write_text("kb_from-systemd")
    (credentials / "jeton").chmod(0o400)
    (conf / "jeton").unlink()
    assert run(conf, CREDENTIALS_DIRECTORY=str(credentials)).returncode == 0
    assert Recorder.seen[0]["authorization"] == "Bearer kb_from-systemd"


def test_token_is_not_on_the_command_line(conf, tmp_path):
    """A fake curl records its arguments: the token reaches it through stdin only."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "curl"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/argv\ncat > {tmp_path}/stdin\nprintf 204\n')
    fake.chmod(0o755)
    result = run(conf, PATH=f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    assert result.returncode == 0, result.stderr
    argv = (tmp_path / "argv").read_text()
    assert TOKEN not in argv
    assert "@-" in argv
    assert (tmp_path / "stdin").read_text() == f"Authorization: Bearer {TOKEN}\n"


def test_missing_curl(conf, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    for tool in ("tr", "find"):
        (empty / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(  # noqa: S603
        [shutil.which("sh") or "/bin/sh", str(SCRIPT)],
        env={"PATH": str(empty), "CYBERCANTAL_BORNE_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3
    assert "curl est introuvable" in result.stderr


def test_systemd_units():
    directory = SCRIPT.parent
    timer = (directory / "cybercantal-borne-signal.timer").read_text()
    assert "OnCalendar=*-*-* *:*:00" in timer
    assert "Persistent=true" in timer
    assert "RandomizedDelaySec=10s" in timer
    service = (directory / "cybercantal-borne-signal.service").read_text()
    assert "Type=oneshot" in service
    assert "LoadCredential=jeton:/etc/cybercantal-borne/jeton" in service
