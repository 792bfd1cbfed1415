"""Kill the server mid-batch and retry (N3, A3): no acknowledged pass is lost, none is doubled.

A real gunicorn serves the device-direct protocol from its own database: a temporary SQLite file, or a fresh
PostgreSQL database when the suite itself runs with DATABASE_URL pointing at PostgreSQL. Client threads upload
signed batches of passes to /device/v1/passes; once some answers have arrived the server's whole process group
gets SIGKILL while other batches are in flight. Straight after the crash the database must hold every
acknowledged pass, and each batch either whole (records and stored answer together) or not at all. Then the
server is restarted and every batch is retried, twice at once, as a device does when its first attempt
timed out (same batch id, same records, new nonce): every pass ends up stored exactly once and acknowledged,
and a replayed batch gets byte-for-byte the answer the first attempt got.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import queue
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dj_database_url
import pytest

from smz.core import signing

REPO_ROOT = Path(__file__).resolve().parents[2]
BATCHES = 40
RECORDS_PER_BATCH = 100
WORKERS = 20
CLIENT_THREADS = 6
KILL_AFTER_ACKED_BATCHES = 6
PASSES = "/device/v1/passes"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ACKED = {"accepted", "duplicate"}


# --- the server's own database ---------------------------------------------------------------------


@dataclass
class ServerDatabase:
    """Where the server under test keeps its data, and a way for the test to read it directly."""

    env: dict[str, str]
    query: Callable[[str, tuple], list[tuple]]  # SQL with "?" placeholders


def _base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {
        "SMZ_ENV": "development",  # dev defaults for secrets; never production
        "SMZ_VAR_DIR": str(var_dir),  # the SQLite file, static root and private files all live here
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


@pytest.fixture
def server_db(real_clock: None, tmp_path: Path) -> Iterator[ServerDatabase]:
    # real_clock: the server runs in its own process, on the real time; the passes and signatures must agree.
    var_dir = tmp_path / "var"
    env = _base_env(var_dir)
    session_url = os.environ.get("DATABASE_URL", "")
    if not session_url or "postgres" not in dj_database_url.parse(session_url)["ENGINE"]:
        path = var_dir / "smz.sqlite3"

        def query_sqlite(sql: str, params: tuple = ()) -> list[tuple]:
            conn = sqlite3.connect(path, timeout=20)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()

        yield ServerDatabase(env=env, query=query_sqlite)
        return

    import psycopg

    parts = dj_database_url.parse(session_url)
    name = f"smz_crash_{uuid.uuid4().hex[:12]}"
    admin = {
        "host": parts["HOST"] or "127.0.0.1",
        "port": parts["PORT"] or 5432,
        "user": parts["USER"] or "postgres",
        "password": parts["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urllib.parse.urlsplit(session_url)._replace(path=f"/{name}").geturl()

    def query_pg(sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(dbname=name, **admin) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    try:
        yield ServerDatabase(env=env, query=query_pg)
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


# --- the server ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Gate:
    """A device-direct client: every request signed, with a new nonce, retries included."""

    serial: str
    secret: str
    port: int = 0

    def post(self, path: str, payload: dict, *, timeout: float = 30) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        headers = signing.signed_headers(
            self.secret,
            self.serial,
            "POST",
            path,
            body,
            timestamp=int(time.time()),
            nonce=uuid.uuid4().hex,
        )
        headers["Content-Type"] = "application/json"
        if "batch_id" in payload:
            headers[signing.HEADER_BATCH] = payload["batch_id"]
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()


@dataclass
class Server:
    env: dict[str, str]
    log_dir: Path
    starts: int = 0
    proc: subprocess.Popen | None = None

    def start(self, gate: Gate) -> None:
        """Start gunicorn in its own process group on a free port; return once a signed heartbeat works."""
        self.starts += 1
        gate.port = _free_port()
        log = (self.log_dir / f"gunicorn-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{gate.port}",
                "--workers=2",
                "--threads=3",
                "--timeout=60",
                "--preload",  # import Django once, before binding: the port answers once it is ready
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.log_tail()}"
            try:
                status, body = gate.post("/device/v1/heartbeat", {}, timeout=20)
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
                continue
            assert status == 200, (status, body)
            return
        raise AssertionError(f"gunicorn did not answer within 30 s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: no graceful shutdown, no finished requests."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def log_tail(self) -> str:
        path = self.log_dir / f"gunicorn-{self.starts}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
def server(server_db: ServerDatabase, tmp_path: Path) -> Iterator[Server]:
    srv = Server(env=server_db.env, log_dir=tmp_path)
    try:
        yield srv
    finally:
        srv.kill()


# --- the batches -----------------------------------------------------------------------------------


def _batches(project_code: str, person_ids: list[int]) -> list[dict]:
    """BATCHES × RECORDS_PER_BATCH passes from the last hour or two, each record id unique; no snapshots
    (such passes are stored as invalid, which is all this test needs)."""
    start = dt.datetime.now(tz=SHANGHAI).replace(microsecond=0)
    batches = []
    for b in range(BATCHES):
        records = []
        for r in range(RECORDS_PER_BATCH):
            n = b * RECORDS_PER_BATCH + r
            records.append(
                {
                    "record_id": f"{b:04d}-{r:03d}",
                    "person_id": person_ids[n % len(person_ids)],
                    "time": (
                        start - dt.timedelta(seconds=BATCHES * RECORDS_PER_BATCH - n)
                    ).isoformat(),
                    "direction": "in" if n % 2 == 0 else "out",
                    "verify_mode": "face",
                    "similarity": 92.5,
                }
            )
        batches.append(
            {"batch_id": f"CRASH-{b:04d}", "project_code": project_code, "records": records}
        )
    return batches


def _record_ids(batch: dict) -> list[str]:
    return [r["record_id"] for r in batch["records"]]


def _stored(db: ServerDatabase, serial: str) -> tuple[Counter, set[str]]:
    """Pass rows per device record id, and the batch ids whose answers are stored, for the gate."""
    (device_id,) = db.query("SELECT id FROM devices_device WHERE serial = ?", (serial,))[0]
    rows = db.query(
        "SELECT device_record_id, COUNT(*) FROM attendance_passrecord"
        " WHERE device_id = ? GROUP BY device_record_id",
        (device_id,),
    )
    answered = db.query(
        "SELECT batch_id FROM attendance_ingestbatch WHERE device_id = ?", (device_id,)
    )
    return Counter({rid: n for rid, n in rows}), {b for (b,) in answered}


# --- the test --------------------------------------------------------------------------------------


@dataclass
class FirstRun:
    """What the client saw before and around the crash."""

    answers: dict[int, tuple[int, Any]] = field(default_factory=dict)
    in_flight: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)


def test_kill_mid_batch_then_retry_loses_and_doubles_nothing(
    server_db: ServerDatabase, server: Server
) -> None:
    clock = {"begin": time.monotonic()}
    world = json.loads(
        _run(["-m", "tests.system.gate_seed", f"--workers={WORKERS}"], server_db.env).splitlines()[
            -1
        ]
    )
    clock["seeded"] = time.monotonic()
    # The server must never touch the developer's var/smz.sqlite3 (or the suite's own database).
    assert world["database"] != str(REPO_ROOT / "var" / "smz.sqlite3")
    expected_db = server_db.env.get("DATABASE_URL", "").rsplit("/", 1)[-1] or str(
        Path(server_db.env["SMZ_VAR_DIR"]) / "smz.sqlite3"
    )
    assert world["database"] == expected_db
    gate = Gate(serial=world["serial"], secret=world["secret"])
    batches = _batches(world["project_code"], world["person_ids"])
    all_ids = [rid for b in batches for rid in _record_ids(b)]
    batch_of = {rid: i for i, b in enumerate(batches) for rid in _record_ids(b)}

    # 1. Upload from several threads; SIGKILL the server once a few batches are acknowledged.
    server.start(gate)
    clock["started"] = time.monotonic()
    first = FirstRun()
    todo: queue.Queue[int] = queue.Queue()
    for i in range(BATCHES):
        todo.put(i)

    def upload() -> None:
        while not first.killed.is_set():
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            with first.lock:
                first.in_flight.add(i)
            try:
                answer = gate.post(PASSES, batches[i])
            except (OSError, http.client.HTTPException):  # the server died under this batch
                with first.lock:
                    first.in_flight.discard(i)
                    first.failed.add(i)
                continue
            with first.lock:
                first.in_flight.discard(i)
                first.answers[i] = answer
                if len(first.answers) >= KILL_AFTER_ACKED_BATCHES:
                    first.enough.set()

    t0 = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        uploads = [pool.submit(upload) for _ in range(CLIENT_THREADS)]
        assert first.enough.wait(timeout=30), "no batch was answered within 30 s"
        with first.lock:
            in_flight_at_kill = sorted(first.in_flight)
            answered_before_kill = len(first.answers)
            server.kill()
            first.killed.set()
        for u in uploads:
            u.result()
    upload_seconds = time.monotonic() - t0

    for i, (status, body) in first.answers.items():
        assert status == 200, (batches[i]["batch_id"], status, body)
    acked = {
        r["record_id"]
        for _, body in first.answers.values()
        for r in body["results"]
        if r["status"] in ACKED
    }
    assert in_flight_at_kill, "the kill found no batch in flight; nothing was tested"
    assert len(first.answers) < BATCHES, "every batch was answered before the kill"

    # 2. Straight after the crash, before any retry can paper over a loss: every acknowledged pass is
    #    stored, none twice, and each batch is stored whole with its answer, or not at all.
    stored, answered = _stored(server_db, world["serial"])
    lost = sorted(acked - set(stored))
    assert not lost, f"{len(lost)} acknowledged passes lost in the crash, e.g. {lost[:5]}"
    doubled = sorted(rid for rid, n in stored.items() if n > 1)
    assert not doubled, f"passes stored twice: {doubled[:5]}"
    per_batch = Counter(batch_of[rid] for rid in stored)
    torn = {batches[i]["batch_id"]: n for i, n in per_batch.items() if n != RECORDS_PER_BATCH}
    assert not torn, f"batches stored in part: {torn}"
    whole = {batches[i]["batch_id"] for i in per_batch}
    assert answered == whole, (
        f"stored answers without records: {sorted(answered - whole)}; "
        f"records without a stored answer: {sorted(whole - answered)}"
    )
    committed_unanswered = sorted(b for b in answered if int(b.split("-")[1]) not in first.answers)

    # 3. Restart and retry every batch, each twice at once (a device whose first attempt timed out).
    clock["restarting"] = time.monotonic()
    server.start(gate)
    clock["restarted"] = time.monotonic()
    attempts = [i for i in range(BATCHES) for _ in range(2)]
    random.Random(4).shuffle(attempts)

    def retry(i: int) -> tuple[int, tuple[int, Any]]:
        for _ in range(3):
            try:
                return i, gate.post(PASSES, batches[i])
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
        return i, gate.post(PASSES, batches[i])

    t1 = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        retried = list(pool.map(retry, attempts))
    retry_seconds = time.monotonic() - t1

    second: dict[int, list[Any]] = {}
    for i, (status, body) in retried:
        assert status == 200, (batches[i]["batch_id"], status, body, server.log_tail())
        second.setdefault(i, []).append(body)
    for i, (a, b) in second.items():
        batch_id = batches[i]["batch_id"]
        assert a == b, f"{batch_id}: two concurrent attempts got different answers"
        assert [r["record_id"] for r in a["results"]] == _record_ids(batches[i]), batch_id
        not_acked = [r for r in a["results"] if r["status"] not in ACKED]
        assert not not_acked, f"{batch_id}: not acknowledged after the retry: {not_acked[:3]}"
        if i in first.answers:
            assert a == first.answers[i][1], (
                f"{batch_id}: the replay's answer differs from the first"
            )

    # 4. In the end: every pass stored exactly once, every batch's answer stored once.
    stored, answered = _stored(server_db, world["serial"])
    assert sorted(stored) == sorted(all_ids), (
        f"missing {sorted(set(all_ids) - set(stored))[:5]}, extra {sorted(set(stored) - set(all_ids))[:5]}"
    )
    doubled = sorted(rid for rid, n in stored.items() if n != 1)
    assert not doubled, f"passes stored twice: {doubled[:5]}"
    assert answered == {b["batch_id"] for b in batches}

    print(  # the numbers behind the run, shown with -s
        f"\n[{world['vendor']}] first run {upload_seconds:.1f} s: "
        f"{answered_before_kill} batches ({answered_before_kill * RECORDS_PER_BATCH} passes) acknowledged "
        f"before the kill, {len(in_flight_at_kill)} batches "
        f"({len(in_flight_at_kill) * RECORDS_PER_BATCH} passes) in flight at the kill "
        f"{[batches[i]['batch_id'] for i in in_flight_at_kill]}, "
        f"{len(first.answers)} answered in all, {len(first.failed)} cut off, "
        f"{len(committed_unanswered)} committed but unanswered {committed_unanswered}; "
        f"retry of {len(attempts)} attempts {retry_seconds:.1f} s; "
        f"migrate+seed {clock['seeded'] - clock['begin']:.1f} s, "
        f"start {clock['started'] - clock['seeded']:.1f} s, restart {clock['restarted'] - clock['restarting']:.1f} s"
    )
