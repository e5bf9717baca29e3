"""The read-replica router: reads to the replica, except inside a transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from cybercantal.core.models import JournalEntry
from cybercantal.core.routers import ReadReplicaRouter


@pytest.mark.django_db(transaction=True)
def test_reads_go_to_the_replica_outside_a_transaction_and_to_the_primary_inside():
    router = ReadReplicaRouter()

    assert router.db_for_read(JournalEntry) == "replica"
    with transaction.atomic():
        assert router.db_for_read(JournalEntry) == "default"
    assert router.db_for_read(JournalEntry) == "replica"


def test_writes_and_migrations_go_to_the_primary_only():
    router = ReadReplicaRouter()

    assert router.db_for_write(JournalEntry) == "default"
    assert router.allow_migrate("default", "core") is True
    assert router.allow_migrate("replica", "core") is False


# --- The client's address behind proxies (journal) -------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "203.0.113.7", "203.0.113.7"),  # one nginx
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client cannot forge the last hop
        (2, "198.51.100.1, 203.0.113.7", "198.51.100.1"),  # load balancer + nginx
        (2, "203.0.113.7", "10.0.0.2"),  # fewer hops than announced: fall back
        (1, "pas-une-adresse", "10.0.0.2"),
        (1, None, "10.0.0.2"),
    ],
)
def test_client_ip_reads_x_forwarded_for_only_behind_trusted_proxies(settings, proxies, forwarded, expected):
    from cybercantal.core.journal import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(_request("10.0.0.2", forwarded)) == expected
