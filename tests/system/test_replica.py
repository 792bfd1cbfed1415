"""Read replica (issue 17 goal 6): list pages, reports and exports read from a streaming replica while it is
within the lag bound; everything else, every write, and every read when the replica lags or is down, from the
primary. The router's decisions are tested on both databases; a real streaming replica (pg_basebackup of a
throw-away primary) in the PostgreSQL run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from smz.core import replica
from smz.core.replica import ReplicaRouter, replica_reads, replica_usable
from smz.testing.pgcluster import Cluster, cluster_root

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_health():
    replica.replica_health_reset()
    yield
    replica.replica_health_reset()


def test_router_reads_the_replica_only_inside_a_marked_block_and_while_usable(
    monkeypatch, fresh_health
):
    router = ReplicaRouter()
    usable = {"now": True}
    monkeypatch.setattr(replica, "replica_usable", lambda: usable["now"])
    assert router.db_for_read(None) is None
    with replica_reads():
        assert router.db_for_read(None) == "replica"
        assert router.db_for_write(None) == "default"
        usable["now"] = False
        assert router.db_for_read(None) is None
    assert router.allow_migrate("replica", "registry") is False
    assert router.allow_migrate("default", "registry") is True


def test_lag_bound_and_unreachable_replica_fall_back(monkeypatch, settings, fresh_health):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    settings.SMZ_REPLICA_MAX_LAG_SECONDS = 10
    settings.SMZ_REPLICA_CHECK_SECONDS = 5
    lag: dict[str, float | None] = {"now": 0.0}
    calls = []
    monkeypatch.setattr(replica, "replica_lag", lambda: calls.append(1) or lag["now"])
    assert replica_usable(now=100.0) is True
    lag["now"] = 30.0
    assert replica_usable(now=103.0) is True  # cached: checked at most every 5 s
    assert replica_usable(now=105.0) is False  # re-checked: 30 s behind
    lag["now"] = None  # unreachable, or promoted
    assert replica_usable(now=111.0) is False
    lag["now"] = 2.0
    assert replica_usable(now=117.0) is True
    assert len(calls) == 4


def test_only_listed_get_routes_are_marked(monkeypatch, as_user, fresh_health):
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    marks: list[bool] = []
    monkeypatch.setattr(
        ReplicaRouter, "db_for_read", lambda self, model, **h: marks.append(replica._reads.get())
    )
    client = as_user("city_admin")
    assert client.get("/projects/").status_code == 200
    assert True in marks  # the project list read under the mark
    marks.clear()
    assert client.get("/notifications/").status_code == 200
    assert marks and True not in marks  # not a listed route
    marks.clear()
    client.post("/projects/")  # not a GET: never marked
    assert True not in marks
    assert replica._reads.get() is False  # cleared after the response


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="streaming replication: PostgreSQL only"
)
def test_pages_read_a_real_streaming_replica_and_fall_back_when_it_lags_or_stops(db):
    root = cluster_root()
    primary = Cluster(root, "primary").init().start()
    standby: Cluster | None = None
    try:
        primary.sql("CREATE DATABASE smz")
        # The schema (and the reference data of the migrations) of this run's test database.
        dump = subprocess.run(
            ["pg_dump", "-h", "127.0.0.1", "-p", str(connection.settings_dict["PORT"] or 5432), "-U", "postgres",
             "--no-owner", "-d", connection.settings_dict["NAME"]],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        subprocess.run(
            [str(primary.bindir / "psql"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
             "-d", "smz", "-q", "-v", "ON_ERROR_STOP=1"],
            input=dump.stdout, capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        standby = Cluster(root, "standby").basebackup_of(primary).start()
        env = {
            **os.environ,
            "DATABASE_URL": primary.url("smz"),
            "DATABASE_REPLICA_URL": standby.url("smz"),
            "SMZ_REPLICA_CHECK_SECONDS": "0",
            "SMZ_REPLICA_MAX_LAG_SECONDS": "5",
        }

        def probe(*args: str) -> dict:
            done = subprocess.run(
                [sys.executable, "-m", "smz.testing.replica_probe", *args],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr[-2000:]
            return json.loads(done.stdout.strip().splitlines()[-1])

        probe("seed", "44200020269900001")
        for _ in range(50):  # the replica replays the seed
            if (
                standby.sql(
                    "SELECT count(*) FROM registry_project WHERE code = '44200020269900001'", "smz"
                )
                == "1"
            ):
                break
            time.sleep(0.1)
        pages = probe("pages", "44200020269900001")
        for url in ("/projects/", "/api/v1/projects"):
            assert pages[url]["status"] == 200 and pages[url]["found"], (url, pages)
            assert pages[url]["replica"] > 0, (url, pages)
        assert pages["/notifications/"]["replica"] == 0  # not a listed page

        # Replay paused and the primary moves on: the replica lags, the pages read the primary's new row.
        standby.sql("SELECT pg_wal_replay_pause()")
        probe("seed", "44200020269900002")
        time.sleep(6)
        primary.sql("CHECKPOINT")
        lagging = probe("pages", "44200020269900002")
        assert lagging["/projects/"]["found"] and lagging["/projects/"]["replica"] == 0, lagging
        standby.sql("SELECT pg_wal_replay_resume()")

        # The replica stops: the same pages answer from the primary.
        standby.stop()
        down = probe("pages", "44200020269900002")
        assert down["/projects/"]["status"] == 200 and down["/projects/"]["found"], down
        assert down["/projects/"]["replica"] == 0
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()
        shutil.rmtree(root, ignore_errors=True)
