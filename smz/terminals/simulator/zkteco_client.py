"""A face terminal speaking ZKTeco PUSH (docs/interfaces/zkteco.md) over real HTTP.

It knows no one until the platform sends `DATA UPDATE USERINFO` commands (fetched with getrequest); each
punch goes up as an ATTPHOTO (the snapshot) followed by its ATTLOG line, device-local time, no zone.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import quote

from smz.terminals.simulator import snapshots
from smz.terminals.simulator.plan import SITE_TZ, Pass, Person, Upload
from smz.terminals.simulator.wire import Http, Reply, Tally

PUSH_VERSION = "2.4.1"
FIRMWARE = "SIM-ZK-1.0"
MAX_POLLS = 200  # a long people sync arrives over several polls
COMMAND = re.compile(r"^C:(\d+):(.*)$")
TIME = "%Y-%m-%d %H:%M:%S"
ESTIMATE_WINDOW = dt.timedelta(hours=1, minutes=5)  # zkteco.CLOCK_ESTIMATE_WITHIN, with margin


class ZKTerminal:
    def __init__(self, http: Http, serial: str, *, skew: int, tally: Tally) -> None:
        self.http, self.serial, self.skew, self.tally = http, serial, skew, tally
        self.roster: dict[int, Person] = {}
        self.removed: set[int] = set()
        self.lines: list[str] = []  # ATTLOG lines the platform acknowledged
        self.stamp = int(time.time())
        self.sn = quote(serial)

    def _send(self, method: str, path: str, body: bytes = b"") -> Reply:
        headers = {"Content-Type": "text/plain"} if body else {}
        reply = self.http.request(method, path, body, headers)
        if reply.status >= 400:
            self.tally.refusals[reply.code] += 1
        return reply

    def handshake(self) -> bool:
        query = f"SN={self.sn}&options=all&pushver={PUSH_VERSION}&language=83"
        return self._send("GET", f"/iclock/cdata?{query}").status == 200

    def poll(self) -> None:
        """getrequest until the platform answers plain `OK`, carrying out each command and reporting it."""
        for _ in range(MAX_POLLS):
            reply = self._send("GET", f"/iclock/getrequest?SN={self.sn}&INFO={FIRMWARE},0,0,0")
            commands = [m for line in reply.text.splitlines() if (m := COMMAND.match(line.strip()))]
            if reply.status != 200 or not commands:
                return
            results = [
                f"ID={m.group(1)}&Return={self._command(m.group(2))}&CMD={m.group(2).split(' ')[0]}"
                for m in commands
            ]
            self._send("POST", f"/iclock/devicecmd?SN={self.sn}", "\n".join(results).encode())

    def _command(self, text: str) -> int:
        fields = dict(f.split("=", 1) for f in text.split("\t") if "=" in f)
        head = text.split("\t")[0]
        pin = head.partition("PIN=")[2]
        if head.startswith("DATA UPDATE USERINFO") and pin.isdigit():
            self.roster[int(pin)] = Person(int(pin))
            self.removed.discard(int(pin))
            verb = "userinfo"
        elif head.startswith("DATA UPDATE BIOPHOTO"):
            verb = "biophoto"
        elif head.startswith("DATA DELETE USERINFO") and pin.isdigit():
            self.roster.pop(int(pin), None)
            self.removed.add(int(pin))
            verb = "delete_user"
        elif head.startswith("DATA QUERY ATTLOG"):
            start = head.partition("StartTime=")[2]
            end = fields.get("EndTime", "")
            again = [line for line in self.lines if start <= line.split("\t")[1] <= end]
            self._attlog(again, resent=len(again))
            verb = "query_attlog"
        elif head.startswith("SET OPTIONS"):
            self.skew = 0
            verb = "set_time"
        elif head == "REBOOT":
            verb = "reboot"
        else:
            return -1002  # unsupported command, as the firmware answers
        self.tally.commands[f"zk:{verb}"] += 1
        return 0

    def line(self, p: Pass) -> tuple[str, dt.datetime]:
        local = (p.at + dt.timedelta(seconds=self.skew)).astimezone(SITE_TZ)
        status = 0 if p.direction == "in" else 1
        return f"{p.person_id}\t{local:{TIME}}\t{status}\t15\t0\t0\t0", local

    def run(self, uploads: list[Upload], *, now: dt.datetime) -> None:
        """Upload in order, polling for commands each new day. After an outage the lines of the last
        upload before it go again with the catch-up (the terminal never saw the OK); stored once."""
        day = None
        previous: list[str] = []
        for upload in uploads:
            if upload.at.astimezone(SITE_TZ).date() != day:
                day = upload.at.astimezone(SITE_TZ).date()
                self.poll()
            lines = []
            for p in upload.passes:
                if p.person_id in self.removed:
                    continue
                text, local = self.line(p)
                self._photo(p.person_id, local)
                lines.append(text)
            again = previous if upload.catch_up else []
            if len(lines) == 1 and not again and now - upload.at < ESTIMATE_WINDOW:
                # The platform reads a recent single-line upload as a real-time punch and estimates
                # the clock from it; this replay of the past is not real time, so never send one alone.
                again = previous[-1:]
            self._attlog(again + lines, resent=len(again))
            if not upload.catch_up:
                previous = lines

    def _photo(self, pin: int, local: dt.datetime) -> None:
        jpeg = snapshots.for_person(pin)
        head = f"PIN={local:%Y%m%d%H%M%S}-{pin}.jpg\nSN={self.serial}\nsize={len(jpeg)}\n"
        self.stamp += 1
        query = f"SN={self.sn}&table=ATTPHOTO&Stamp={self.stamp}"
        reply = self._send(
            "POST", f"/iclock/cdata?{query}", head.encode() + b"CMD=uploadphoto\0" + jpeg
        )
        self.tally.zk_photos += int(reply.status == 200)

    def _attlog(self, lines: list[str], *, resent: int = 0) -> None:
        """POST ATTLOG lines; the first `resent` of them were acknowledged before."""
        if not lines:
            return
        self.stamp += 1
        query = f"SN={self.sn}&table=ATTLOG&Stamp={self.stamp}"
        reply = self._send("POST", f"/iclock/cdata?{query}", "\r\n".join(lines).encode())
        if reply.status != 200:
            return
        self.tally.zk_lines += len(lines)
        self.tally.zk_resent += resent
        stored = reply.text.partition("OK:")[2].strip()
        self.tally.zk_stored += int(stored) if stored.isdigit() else 0
        self.lines += lines[resent:]
