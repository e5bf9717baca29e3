"""``cybercantal serve`` (the end of ``make run``): web server, task worker and scheduler live and die together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cybercantal.core.management.commands.serve import bind_address, child_commands

from .test_settings_deploy import REPO, clean_env

START_TIMEOUT = 60


def test_children_are_gunicorn_and_the_task_worker() -> None:
    commands = child_commands(host="127.0.0.1", port=8105, workers=2, task_worker=True)

    assert set(commands) == {"web", "tasks", "scheduler"}
    web = commands["web"]
    assert web[:3] == [sys.executable, "-m", "gunicorn"]
    assert web[web.index("--bind") + 1] == "127.0.0.1:8105"
    assert web[web.index("--workers") + 1] == "2"
    assert commands["tasks"][-1] == "db_worker"
    assert commands["scheduler"][-1] == "run_scheduler"
    assert set(child_commands(host="::1", port=8000, workers=1, task_worker=False)) == {"web"}


@pytest.mark.parametrize(
    ("host", "expected"), [("127.0.0.1", "127.0.0.1:80"), ("::1", "[::1]:80"), ("[::1]", "[::1]:80")]
)
def test_ipv6_addresses_are_bracketed_for_gunicorn(host: str, expected: str) -> None:
    assert bind_address(host, 80) == expected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def migrated_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose SQLite database is migrated, shared by the tests of this module."""
    if not Path("/proc").is_dir():
        pytest.skip("Linux /proc nécessaire pour suivre les processus enfants")
    env = clean_env(tmp_path_factory.mktemp("serve-var"), DATABASE_URL="")
    subprocess.run(
        [sys.executable, "-m", "cybercantal", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=REPO,
        check=True,
        timeout=300,
    )
    return env


class Served:
    """The ``serve`` process, its children and its output (in a file: a pipe could fill up)."""

    def __init__(self, process: subprocess.Popen, log: Path, url: str) -> None:
        self.process, self.log, self.url = process, log, url
        self.children: list[int] = []

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self) -> int:
        return self.process.wait(timeout=60)


@pytest.fixture
def served(migrated_env: dict[str, str], tmp_path: Path):
    """A running ``cybercantal serve`` on a free port."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "cybercantal", "serve", "--port", str(port), "--workers", "1"],
            env=migrated_env,
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Served(process, log, f"http://127.0.0.1:{port}/sante/")
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(server.url, timeout=2) as response:  # noqa: S310 - loopback http
                assert response.status == 200
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail("serve n'a pas répondu :\n" + server.output())
            time.sleep(0.5)
    server.children = children_of(process.pid)
    yield server
    if process.poll() is None:
        process.kill()
        process.wait()
    for pid in server.children:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_ctrl_c_stops_the_web_server_and_the_worker(served: Served) -> None:
    assert len(served.children) == 3, f"gunicorn, db_worker et run_scheduler attendus : {served.children}"

    served.process.send_signal(signal.SIGINT)

    assert served.wait() == 0, served.output()
    output = served.output()
    assert "CyberCantal est servi sur http://127.0.0.1:" in output
    assert "Serveur, worker et planificateur arrêtés." in output
    assert not [pid for pid in served.children if alive(pid)]
    with pytest.raises(OSError):
        urllib.request.urlopen(served.url, timeout=2)  # noqa: S310 - loopback http


def test_when_one_child_dies_the_other_is_stopped_and_serve_fails(served: Served) -> None:
    worker = next(pid for pid in served.children if "db_worker" in Path(f"/proc/{pid}/cmdline").read_text())

    os.kill(worker, signal.SIGKILL)

    assert served.wait() != 0
    assert "« tasks » s'est arrêté de lui-même" in served.output()
    assert not [pid for pid in served.children if alive(pid)]
