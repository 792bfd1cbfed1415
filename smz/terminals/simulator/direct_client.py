"""A face gate speaking device-direct v1 (docs/interfaces/device-direct.md) over real HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from smz.core import signing
from smz.terminals.simulator import snapshots
from smz.terminals.simulator.plan import SITE_TZ, Pass, Person, Upload
from smz.terminals.simulator.wire import Http, Reply, Tally

BODY_BUDGET = 8 * 1024 * 1024  # stay well under the platform's 20 MB request limit
FIRMWARE = "SIM-GATE-1.0"


class DirectGate:
    """One gate: signs every request with its (possibly skewed) clock and a fresh nonce."""

    def __init__(
        self, http: Http, serial: str, secret: str, *, skew: int, rng: random.Random, tally: Tally
    ) -> None:
        self.http, self.serial, self.secret = http, serial, secret
        self.skew, self.rng, self.tally = skew, rng, tally
        self.batch_max = 500
        self.measured_ms: int | None = None
        self.roster: dict[int, Person] = {}
        self.removed: set[int] = set()
        self.sent: list[
            dict[str, Any]
        ] = []  # records stored by the platform, for reupload commands

    # ---- wire --------------------------------------------------------------------------------

    def call(
        self, method: str, path: str, payload: Any = None, *, secret: str | None = None
    ) -> Reply:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        headers = signing.signed_headers(
            secret or self.secret,
            self.serial,
            method,
            path,
            body,
            timestamp=int(time.time() + self.skew),
            nonce=uuid.uuid4().hex,
        )
        if body:
            headers["Content-Type"] = "application/json"
        reply = self.http.request(method, path, body, headers)
        if reply.status >= 400:
            self.tally.refusals[reply.code] += 1
        return reply

    # ---- heartbeat, commands, people ---------------------------------------------------------

    def heartbeat(self, buffered: int = 0) -> None:
        device_time = dt.datetime.fromtimestamp(time.time() + self.skew, SITE_TZ)
        reply = self.call(
            "POST",
            "/device/v1/heartbeat",
            {"device_time": device_time.isoformat(), "firmware": FIRMWARE, "buffered": buffered},
        )
        if reply.status != 200:
            return
        data = reply.json()
        self.measured_ms = data.get("clock_offset_ms")
        self.batch_max = int(data.get("config", {}).get("batch_max", self.batch_max))
        for command in data.get("commands", []):
            self._command(command)

    def _command(self, command: dict[str, Any]) -> None:
        kind, payload = command.get("kind", ""), command.get("payload") or {}
        ok, message = True, "done"
        if kind == "sync_people":
            self.download_people()
        elif kind == "remove_person":
            self.removed.add(int(payload.get("person_id", 0)))
        elif kind == "reupload":
            start, end = payload.get("start", ""), payload.get("end", "")
            try:
                first, last = dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
            except ValueError:
                first = last = None
            again = [
                r
                for r in self.sent
                if first and last and first <= dt.datetime.fromisoformat(r["time"]) <= last
            ]
            self.send(again, resent=len(again))
            message = f"{len(again)} records"
        elif kind == "set_time":
            self.skew = 0
        elif kind != "reboot":
            ok, message = False, f"unsupported {kind}"
        self.call(
            "POST", f"/device/v1/commands/{command['id']}/ack", {"ok": ok, "message": message}
        )
        self.tally.commands[kind] += 1

    def download_people(self) -> None:
        """A full download from an empty cursor: apply each page, acknowledge it, ask for the next."""
        cursor, roster = "", {}
        while True:
            query = urlencode({"cursor": cursor, "limit": 100})
            reply = self.call("GET", f"/device/v1/people?{query}")
            if reply.status != 200:
                return
            page = reply.json()
            for item in page["items"]:
                if item["op"] == "upsert":
                    pid = int(item["person_id"])
                    roster[pid] = Person(pid, role=str(item.get("role") or "20"))
                else:
                    roster.pop(int(item["person_id"]), None)
            cursor = page["next_cursor"]
            self.call("POST", "/device/v1/people/ack", {"cursor": cursor})
            if not page["has_more"]:
                break
        self.roster = roster

    # ---- passes ------------------------------------------------------------------------------

    def record(self, p: Pass) -> dict[str, Any]:
        """The pass as the gate writes it down: its own clock, its own record id, a snapshot."""
        local = (p.at + dt.timedelta(seconds=self.skew)).astimezone(SITE_TZ)
        return {
            "record_id": f"{p.person_id}-{local:%Y%m%d%H%M%S}-{p.direction[0]}",
            "person_id": p.person_id,
            "time": local.isoformat(),
            "direction": p.direction,
            "verify_mode": "face",
            "similarity": round(self.rng.uniform(86, 99), 1),
            "snapshot": snapshots.b64_for_person(p.person_id),
        }

    def run(self, uploads: list[Upload], *, bad: set[int], replays: set[int]) -> None:
        """Send the uploads in order, with a heartbeat each new day. After an outage the records of the
        last upload before it go again in the catch-up batches (the gate never saw that answer), so
        the platform answers them as duplicates."""
        day = None
        previous: list[dict[str, Any]] = []
        for n, upload in enumerate(uploads):
            if upload.at.astimezone(SITE_TZ).date() != day:
                day = upload.at.astimezone(SITE_TZ).date()
                self.heartbeat(buffered=len(upload.passes))
            records = [self.record(p) for p in upload.passes if p.person_id not in self.removed]
            again = previous if upload.catch_up else []
            self.send(again + records, resent=len(again), bad=n in bad, replay=n in replays)
            if not upload.catch_up:
                previous = records

    def send(
        self,
        records: list[dict[str, Any]],
        *,
        resent: int = 0,
        bad: bool = False,
        replay: bool = False,
    ) -> None:
        """Upload records in batches; the first `resent` of them were sent before."""
        for chunk in _chunks(records, self.batch_max):
            rids = "|".join(r["record_id"] for r in chunk)
            batch_id = f"{self.serial[:40]}-{hashlib.sha256(rids.encode()).hexdigest()[:20]}"
            payload = {"batch_id": batch_id, "records": chunk}
            if bad:
                self.tally.bad_signatures_sent += 1
                self.call("POST", "/device/v1/passes", payload, secret=self.secret + "-wrong")
                bad = False
            answer = self._post_batch(payload)
            if answer is None:
                continue
            self.tally.records_sent += len(chunk)
            self.tally.resent += min(resent, len(chunk))
            resent = max(0, resent - len(chunk))
            for record, result in zip(chunk, answer["results"], strict=True):
                status = result["status"]
                self.tally.statuses[status] += 1
                if status == "rejected":
                    self.tally.rejected[result.get("code", "")] += 1
                    continue
                if status == "accepted" and not result.get("valid", True):
                    self.tally.invalid[result.get("invalid_reason", "")] += 1
                self.sent.append(record)
            if replay:
                self.tally.replays += 1
                again = self._post_batch(payload)
                self.tally.replays_same += int(again is not None and again == answer)
                replay = False

    def _post_batch(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """POST a batch; a failed attempt (server error, lost connection) is retried once with a new nonce."""
        for _ in range(2):
            try:
                reply = self.call("POST", "/device/v1/passes", payload)
            except OSError:
                self.tally.refusals["connection.error"] += 1
                continue
            if reply.status == 200:
                return reply.json()
            if reply.status < 500:
                return None
        return None


def _chunks(records: list[dict[str, Any]], batch_max: int) -> list[list[dict[str, Any]]]:
    """Batches of at most batch_max records and BODY_BUDGET bytes of snapshots."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for record in records:
        weight = len(record.get("snapshot") or "") + 300
        if not out or len(out[-1]) >= batch_max or size + weight > BODY_BUDGET:
            out.append([])
            size = 0
        out[-1].append(record)
        size += weight
    return out
