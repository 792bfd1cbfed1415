"""What the simulated people do: a week of passes per device, its outages, and when each pass is uploaded.

Times here are true times (aware, UTC); a device's clock skew is applied only when it writes a pass down.
The day shape follows a site: a morning peak around 07:20 (managers later), some going out for lunch, an
evening exit around 17:50 with a tail of overtime, fewer people at weekends, a few forgotten exits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

SITE_TZ = dt.timezone(
    dt.timedelta(hours=8)
)  # the devices' registered zone (utc_offset_minutes 480)
MANAGER = "10"
# Share of the roster on site by weekday (Mon..Sun).
TURNOUT = (0.93, 0.94, 0.92, 0.93, 0.90, 0.72, 0.35)
LUNCH_OUT = 0.25
OVERTIME = 0.10
NO_EXIT = 0.02


@dataclass(frozen=True)
class Person:
    person_id: int
    role: str = "20"
    since: dt.date | None = None  # first day on site, when known (read from the database)


@dataclass(frozen=True)
class Pass:
    person_id: int
    at: dt.datetime  # true time, UTC
    direction: str  # in | out


@dataclass(frozen=True)
class Outage:
    start: dt.datetime
    end: dt.datetime

    def covers(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


@dataclass
class Upload:
    """Passes a device sends together: a regular upload, or a catch-up after an outage."""

    at: dt.datetime
    passes: list[Pass]
    catch_up: bool = False


def _clock(day: dt.date, minutes: float) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=SITE_TZ) + dt.timedelta(minutes=minutes)
    return local.replace(microsecond=0).astimezone(dt.UTC)


def _around(rng: random.Random, mean: float, sd: float, lo: float, hi: float) -> float:
    return min(max(rng.gauss(mean, sd), lo), hi)


def person_day(rng: random.Random, person: Person, day: dt.date) -> list[Pass]:
    """One person's passes on one local day (empty when not at work)."""
    if person.since is not None and day < person.since:
        return []
    if rng.random() > TURNOUT[day.weekday()]:
        return []
    manager = person.role == MANAGER
    arrive = _around(rng, 8 * 60 if manager else 7 * 60 + 20, 18, 5 * 60 + 40, 10 * 60 + 30)
    if rng.random() < OVERTIME:
        leave = rng.uniform(19 * 60, 21 * 60 + 30)
    else:
        leave = _around(rng, 17 * 60 + 50, 25, 16 * 60 + 30, 19 * 60)
    pid = person.person_id
    passes = [Pass(pid, _clock(day, arrive), "in")]
    if rng.random() < LUNCH_OUT:
        out = _around(rng, 12 * 60, 8, 11 * 60 + 40, 12 * 60 + 30)
        passes += [
            Pass(pid, _clock(day, out), "out"),
            Pass(pid, _clock(day, out + rng.uniform(40, 80)), "in"),
        ]
    if rng.random() > NO_EXIT:
        passes.append(Pass(pid, _clock(day, leave), "out"))
    return passes


def days_back(now: dt.datetime, days: int) -> list[dt.date]:
    """The last `days` local days, today included, oldest first."""
    today = now.astimezone(SITE_TZ).date()
    return [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]


def passes_for(
    people: list[Person], *, days: int, now: dt.datetime, rng: random.Random
) -> list[Pass]:
    """Every pass of these people over the last `days` days, up to a minute before now, in time order."""
    cutoff = now - dt.timedelta(minutes=1)
    out = [
        p
        for day in days_back(now, days)
        for person in people
        for p in person_day(rng, person, day)
        if p.at <= cutoff
    ]
    return sorted(out, key=lambda p: (p.at, p.person_id))


def outages_for(*, count: int, days: int, now: dt.datetime, rng: random.Random) -> list[Outage]:
    """`count` non-overlapping outages of 2–20 hours, each starting in working hours (so passes pile up
    in the buffer) and ending over an hour before now (so everything arrives)."""
    latest_end = now - dt.timedelta(hours=1)
    found: list[Outage] = []
    for _ in range(count * 20):
        if len(found) == count:
            break
        day = rng.choice(days_back(now, days))
        start = _clock(day, rng.uniform(6 * 60, 17 * 60))
        candidate = Outage(start, start + dt.timedelta(minutes=int(rng.uniform(120, 1200))))
        if candidate.end > latest_end:
            continue
        if all(candidate.end <= o.start or candidate.start >= o.end for o in found):
            found.append(candidate)
    return sorted(found, key=lambda o: o.start)


def uploads_for(
    passes: list[Pass],
    outages: list[Outage],
    *,
    every: dt.timedelta,
    now: dt.datetime,
    realtime: dt.timedelta = dt.timedelta(hours=1),
) -> list[Upload]:
    """Group passes into uploads: realtime in the last hour, every `every` before, at an outage's end during it."""
    groups: dict[tuple[dt.datetime, bool], list[Pass]] = {}
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for p in passes:
        outage = next((o for o in outages if o.covers(p.at)), None)
        if outage is not None:
            key = (outage.end, True)
        elif p.at >= now - realtime:
            key = (p.at, False)
        else:
            ticks = -(-(p.at - epoch) // every)  # ceiling: the first upload after the pass
            key = (min(epoch + ticks * every, now), False)
        groups.setdefault(key, []).append(p)
    return [Upload(at=k[0], passes=v, catch_up=k[1]) for k, v in sorted(groups.items())]
