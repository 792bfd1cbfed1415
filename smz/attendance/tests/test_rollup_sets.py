"""The set-based roll-up (issue 17 goal 3, N5) gives the same rows as the row-by-row code it replaced
(smz/testing/rollup_reference.py), on random days, and costs a fixed number of statements per batch."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from smz.attendance.models import (
    DailyAttendance,
    KeyPostDay,
    LateSnapshot,
    PassContest,
    PassRecord,
    SnapshotCheck,
)
from smz.attendance.services import (
    attendance_recompute,
    key_post_days_compute,
    key_post_days_recompute,
)
from smz.attendance.snapshots import snapshot_name, snapshot_store
from smz.attendance.validity import (
    VALIDITY_FIELDS,
    pass_invalid_reason,
    pass_reason_expression,
    with_validity,
)
from smz.core.bulk import AnyOf
from smz.core.timeutil import CITY_TZ, business_date
from smz.registry.identity import id_number_index
from smz.registry.models import KeyPost, KeyPostHolding, Project, ProjectPause, Worker
from smz.registry.selectors import approving_authority
from smz.registry.synthetic import synthetic_id_number
from smz.testing.attendance import gate_for, today
from smz.testing.devices import jpeg
from smz.testing.rollup_reference import (
    reference_attendance_recompute,
    reference_key_post_days_compute,
    reference_key_post_days_recompute,
)

DAILY = (
    "project",
    "worker",
    "work_date",
    "first_in",
    "last_out",
    "minutes",
    "valid_passes",
    "invalid_passes",
    "attended",
    "anomalies",
)
POST_DAY = (
    "key_post",
    "work_date",
    "project",
    "holder",
    "attended",
    "first_in",
    "minutes",
    "exemption",
    "absence_reason",
)


def state() -> dict[str, list[tuple]]:
    """What the roll-up writes, without ids and timestamps."""
    return {
        "daily": sorted(DailyAttendance.objects.values_list(*DAILY)),
        "posts": sorted(KeyPostDay.objects.values_list(*POST_DAY)),
        "checks": sorted(SnapshotCheck.objects.values_list("pass_record", "faces", "detector")),
        "starts": sorted(Project.objects.values_list("pk", "actual_start")),
    }


class _Undo(Exception):
    pass


def reference_then_new(run_reference, run_new) -> None:
    """Run the reference code, note what it wrote, undo it (savepoint), run the new code: the same rows."""
    try:
        with transaction.atomic():
            run_reference()
            expected = state()
            raise _Undo
    except _Undo:
        pass
    run_new()
    got = state()
    for table in expected:
        assert got[table] == expected[table], table


def make_workers(n: int, seq0: int = 500) -> list[Worker]:
    people = []
    for i in range(n):
        idn = synthetic_id_number(
            birth=dt.date(1980, 1, 1) + dt.timedelta(days=i * 11), seq=seq0 + i, male=True
        )
        people.append(
            Worker(
                id_card_type="01",
                id_number=idn,
                id_number_index=id_number_index("01", idn),
                name=f"随机工{i}",
                gender="1",
                nation="01",
                birth_date=dt.date(1980, 1, 1),
            )
        )
    Worker.objects.bulk_create(people)
    return list(Worker.objects.filter(name__startswith="随机工").order_by("pk"))


@dataclass
class City:
    """A random stretch of days on two projects: people, posts with holding histories, passes of every kind."""

    rng: random.Random
    world: object
    workers: list[Worker]
    days: list[dt.date]
    devices: dict[int, list] = field(default_factory=dict)
    snapshots: list[str] = field(default_factory=list)
    excluded: set[int] = field(default_factory=set)
    serial: int = 0

    def moment(self, day: dt.date) -> dt.datetime:
        """A time around `day` in the city: mostly the working day, sometimes the night either side."""
        base = dt.datetime.combine(day, dt.time(0, 0), tzinfo=CITY_TZ)
        minutes = self.rng.choice(
            [self.rng.randint(6 * 60, 20 * 60)] * 4
            + [self.rng.randint(-120, 6 * 60), self.rng.randint(20 * 60, 26 * 60)]
        )
        return base + dt.timedelta(minutes=minutes, seconds=self.rng.choice([0, 0, 30]))

    def passes(self, project, worker, day: dt.date, n: int) -> list[PassRecord]:
        rng, rows = self.rng, []
        for _ in range(n):
            self.serial += 1
            when = self.moment(day)
            reason = rng.choice(
                ["", "", "", "", "no_snapshot", "low_resolution", "off_site", "no_location"]
            )
            snapshot = "" if reason == "no_snapshot" else rng.choice([*self.snapshots, ""])
            rows.append(
                PassRecord(
                    device=rng.choice(self.devices[project.pk]),
                    device_record_id=f"r{self.serial}",
                    project=project,
                    worker=worker,
                    event_time=when,
                    work_date=business_date(when),  # overnight passes fall on the next city day
                    received_at=when,
                    direction=rng.choice(["in", "in", "out", "out", ""]),
                    verify_mode="face",
                    snapshot=snapshot,
                    valid=not reason,
                    invalid_reason=reason,
                    off_site=reason == "off_site" or rng.random() < 0.03,
                )
            )
        return PassRecord.objects.bulk_create(rows)

    def decorate(self, passes: list[PassRecord]) -> None:
        """Late snapshots, face checks already done, contests, exclusions: each on some of the passes."""
        rng, world = self.rng, self.world
        filer = world.user("gc_labor")
        for p in passes:
            if not p.snapshot and p.invalid_reason == "no_snapshot" and rng.random() < 0.4:
                w, h = rng.choice([(640, 480), (320, 240), (200, 150)])
                LateSnapshot.objects.create(
                    pass_record=p,
                    snapshot=rng.choice(self.snapshots),
                    snapshot_width=w,
                    snapshot_height=h,
                )
            if p.snapshot and rng.random() < 0.2:
                SnapshotCheck.objects.create(
                    pass_record=p, faces=rng.choice([0, 1, 2]), detector="old"
                )
            if rng.random() < 0.08:
                for state_ in rng.sample(["filed", "accepted", "rejected"], rng.randint(1, 2)):
                    if PassContest.objects.filter(pass_record=p).exclude(state="rejected").exists():
                        break
                    PassContest.objects.create(
                        pass_record=p,
                        project=p.project,
                        worker=p.worker,
                        authority=approving_authority(p.project),
                        filed_by=filer,
                        reason="照片清晰",
                        invalid_reason="no_face",
                        state=state_,
                    )
            if rng.random() < 0.15:
                self.excluded.add(p.pk)


def build_city(world, private_dir, exclusions, *, seed: int) -> City:
    rng = random.Random(seed)
    p1, p3 = world.projects["p1"], world.projects["p3"]
    end = today()
    city = City(
        rng=rng,
        world=world,
        workers=make_workers(36),
        days=[end - dt.timedelta(days=n) for n in range(8, -1, -1)],
        excluded=exclusions,
    )
    for key, project in (("p1", p1), ("p3", p3)):
        city.devices[project.pk] = [gate_for(world, key, f"GATE-{key}-{n}") for n in range(3)]
    for face, size in ((True, (400, 300)), (False, (320, 240)), (True, (64, 48))):
        data = jpeg(*size, face=face)
        city.snapshots.append(snapshot_store(data, snapshot_name(data, end)))
    city.snapshots.append("snap/2026/01/missing.jpg")  # a file gone: no face found
    # Posts on both projects; holders among the random people, some with holding histories (stand-ins).
    KeyPost.objects.create(project=p3, enterprise=world.enterprises["gc"], post="P01")
    KeyPost.objects.create(project=p3, enterprise=world.enterprises["gc"], post="P02")
    people = city.workers
    for post in KeyPost.objects.filter(project__in=[p1, p3]).order_by("pk"):
        choice = rng.random()
        if choice < 0.2:
            post.holder, post.holder_since = None, None
        else:
            post.holder = rng.choice(people[:10])
            post.holder_since = rng.choice([None, city.days[0], city.days[4], city.days[-1]])
        post.save()
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            start = rng.choice(city.days)
            end_on = rng.choice([None, start, start + dt.timedelta(days=rng.randint(0, 4))])
            KeyPostHolding.objects.create(
                key_post=post, worker=rng.choice(people[:12]), start_on=start, end_on=end_on
            )
    # p3 paused for two days in the middle (a key post need not be attended then)
    ProjectPause.objects.create(
        project=p3, start_on=city.days[3], end_on=city.days[4], suspension_ref="TG1"
    )
    p3.actual_start = None
    p3.save(update_fields=["actual_start"])
    return city


def random_round(city: City, *, person_days: int) -> dict[int, list[tuple[int, dt.date]]]:
    """Passes for about `person_days` (project, person, day) triples; returns each project's keys."""
    rng = city.rng
    projects = [city.world.projects["p1"], city.world.projects["p3"]]
    keys: dict[int, list[tuple[int, dt.date]]] = {p.pk: [] for p in projects}
    made = []
    for _ in range(person_days):
        project = rng.choice(projects)
        # the posts' holders (and stand-ins) are among the first twelve: they pass more often
        worker = rng.choice(city.workers[:12] if rng.random() < 0.4 else city.workers)
        day = rng.choice(city.days)
        passes = city.passes(project, worker, day, rng.choice([1, 2, 2, 2, 3, 4]))
        city.decorate(passes)
        if rng.random() < 0.1:  # every pass of the day found not to be the person
            city.excluded.update(p.pk for p in passes)
        made += passes
    for p in made:
        keys[p.project_id].append((p.worker_id, p.work_date))
    # keys whose passes are elsewhere or gone (face identity recomputes days it was told of)
    for project in projects:
        keys[project.pk] += [(rng.choice(city.workers).pk, rng.choice(city.days)) for _ in range(5)]
    return keys


def batches(rng: random.Random, keys: list) -> list[list]:
    """The keys as the ingest enqueues them: in batches of random size, some repeated."""
    keys = list(keys)
    rng.shuffle(keys)
    out, i = [], 0
    while i < len(keys):
        n = rng.choice([1, 5, 40, 200])
        out.append(keys[i : i + n] + rng.sample(keys, min(2, len(keys))))
        i += n
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_set_based_rollup_writes_what_the_row_by_row_code_wrote(
    world, private_dir, exclusions, seed
):
    city = build_city(world, private_dir, exclusions, seed=seed)
    total = 0
    for person_days in (
        220,
        80,
    ):  # a first morning, then late passes, snapshots, contests on the same days
        keys = random_round(city, person_days=person_days)
        plan = {pid: batches(city.rng, k) for pid, k in keys.items()}
        total += sum(len(set(k)) for k in keys.values())

        def run(recompute, plan=plan):
            for project_id, parts in plan.items():
                for part in parts:
                    recompute(project_id=project_id, keys=part)

        reference_then_new(
            lambda: run(reference_attendance_recompute), lambda: run(attendance_recompute)
        )
        assert DailyAttendance.objects.filter(attended=True).exists()
        # an exclusion reader changing its mind (a review) is obeyed by the next recompute, alike
        flipped = city.rng.sample(sorted(PassRecord.objects.values_list("pk", flat=True)), 30)
        city.excluded.symmetric_difference_update(flipped)
    assert total >= 250
    # the validity rule in SQL (the roll-up sums passes up in the database) is the Python rule
    judged = with_validity(PassRecord.objects.all()).annotate(in_sql=pass_reason_expression())
    pairs = [
        (pass_invalid_reason(r), r["in_sql"]) for r in judged.values(*VALIDITY_FIELDS, "in_sql")
    ]
    assert all(python == sql for python, sql in pairs)
    assert {python for python, _ in pairs} >= {
        "",
        "no_snapshot",
        "low_resolution",
        "no_face",
        "off_site",
    }
    # every kind of day came up
    anomalies = {
        a for row in DailyAttendance.objects.values_list("anomalies", flat=True) for a in row
    }
    assert anomalies == {"only_invalid_passes", "no_exit", "off_site", "no_face", "not_same_person"}
    posts = KeyPostDay.objects.all()
    assert (
        posts.filter(attended=True).exists()
        and posts.filter(absence_reason="not_same_person").exists()
    )
    assert posts.exclude(exemption="").exists() and posts.filter(holder__isnull=True).exists()
    # the nightly close (one day, every post) and a range after obligations changed
    p1, p3 = world.projects["p1"].pk, world.projects["p3"].pk
    for project_id in (p1, p3):
        for day in city.days[::3]:
            reference_then_new(
                lambda project_id=project_id, day=day: reference_key_post_days_compute(
                    project_id=project_id, day=day
                ),
                lambda project_id=project_id, day=day: key_post_days_compute(
                    project_id=project_id, day=day
                ),
            )
        reference_then_new(
            lambda project_id=project_id: reference_key_post_days_recompute(
                project_id=project_id, first=city.days[0], last=city.days[-1]
            ),
            lambda project_id=project_id: key_post_days_recompute(
                project_id=project_id, first=city.days[0], last=city.days[-1]
            ),
        )


def test_key_post_days_come_back_in_post_order_for_each_day(world):
    rows = key_post_days_compute(project_id=world.projects["p1"].pk, day=today())
    assert [r.key_post.post for r in rows] == ["P01", "P03", "S01"]
    assert KeyPostDay.objects.filter(work_date=today()).count() == 3


# ---- a fixed number of statements per batch ---------------------------------------------------------------


def statements_for(exclusions, workers: list[Worker], day: dt.date, gate, snapshot: str) -> int:
    """Statements of one recompute of `len(workers)` person-days, each with two passes with a snapshot to
    check (a post's holder among them; some passes invalid, some excluded)."""
    rows = []
    for i, worker in enumerate(workers):
        for k, hh in enumerate((8, 17)):
            when = dt.datetime.combine(day, dt.time(hh, i % 60), tzinfo=CITY_TZ)
            rows.append(
                PassRecord(
                    device=gate,
                    device_record_id=f"{day}-{worker.pk}-{k}",
                    project_id=gate.project_id,
                    worker=worker,
                    event_time=when,
                    work_date=day,
                    received_at=when,
                    direction="in" if k == 0 else "out",
                    snapshot=snapshot,
                    invalid_reason="" if i % 7 != 3 else "low_resolution",
                )
            )
    made = PassRecord.objects.bulk_create(rows)
    exclusions.update(p.pk for p in made[::5])
    keys = [(w.pk, day) for w in workers]
    with CaptureQueriesContext(connection) as queries:
        attendance_recompute(project_id=gate.project_id, keys=keys)
    assert DailyAttendance.objects.filter(work_date=day).count() == len(workers)
    assert KeyPostDay.objects.get(work_date=day, key_post__post="P01").attended
    return len(queries)


def test_a_batch_costs_the_same_statements_whatever_its_size(world, private_dir, exclusions):
    p1 = world.projects["p1"]
    p1.actual_start = dt.date(2024, 3, 1)
    p1.save(update_fields=["actual_start"])
    gate = gate_for(world, "p1", "GATE-P1-A")
    people = make_workers(200)
    pm = world.workers["pm"]  # the P01 holder passes in both batches
    data = jpeg(400, 300)
    snapshot = snapshot_store(data, snapshot_name(data, today()))
    yesterday = today() - dt.timedelta(days=1)
    small = statements_for(exclusions, [pm, *people[:9]], yesterday, gate, snapshot)
    large = statements_for(exclusions, [pm, *people[9:]], today(), gate, snapshot)
    # snapshots to check; where they are stored (pack entries: one read); savepoint, insert the checks, the passes judged, the exclusion reader (face
    # identity's: one read), upsert the days; the project, its posts, the holders of its holdings, the
    # pauses, the holding histories, the holders' days, upsert the posts' days; release (the actual start
    # is already recorded: no read)
    assert large == small == 15


def test_long_lists_are_one_parameter(world, exclusions):
    """A batch's pass ids for the exclusion readers can pass SQLite's 32,766-parameter limit: AnyOf sends them
    as one array (PostgreSQL) or one JSON list (SQLite)."""
    gate = gate_for(world, "p1", "GATE-P1-A")
    pm, day = world.workers["pm"], today()
    when = dt.datetime.combine(day, dt.time(8), tzinfo=CITY_TZ)
    made = PassRecord.objects.bulk_create(
        PassRecord(
            device=gate,
            device_record_id=f"long-{n}",
            project_id=gate.project_id,
            worker=pm,
            event_time=when,
            work_date=day,
            received_at=when,
            direction="in",
        )
        for n in range(3)
    )
    ids = [*range(-40_000, 0), *(p.pk for p in made)]
    assert PassRecord.objects.filter(AnyOf(F("pk"), ids)).count() == 3
    assert PassRecord.objects.filter(AnyOf(F("work_date"), [day] * 2_000)).count() == 3
    assert not PassRecord.objects.filter(AnyOf(F("pk"), [])).exists()
