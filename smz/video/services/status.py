"""Online state of cameras (V1): the one place that opens and closes CameraOnlineInterval rows.

The SIP server (smz/video/sip/) and the platform adapters (smz/video/platforms/) report what they saw; these
functions turn it into intervals, set-based (a fixed number of statements per call, whatever the number of
cameras), so 2,000 cameras keeping alive cost one UPDATE per flush, not one per camera.

A camera's interval ends at the last moment it was known to be alive (its last keepalive), not at the moment
the server noticed the silence: coverage is never credited for time nobody vouched for.

A recorder's channels follow it: a channel is online while its recorder is online and the recorder's Catalog
does not say the channel is OFF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import DateTimeField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from smz.video.models import Camera, CameraOnlineInterval

EndReason = CameraOnlineInterval.EndReason
CATALOG_OFF = "OFF"


def _open(ids: Iterable[int], at: dt.datetime) -> None:
    """Open an interval at `at` for each camera that has none open (the partial unique index guards races)."""
    ids = list(ids)
    if not ids:
        return
    already = set(
        CameraOnlineInterval.objects.filter(camera_id__in=ids, ended_at__isnull=True).values_list(
            "camera_id", flat=True
        )
    )
    CameraOnlineInterval.objects.bulk_create(
        [CameraOnlineInterval(camera_id=i, started_at=at) for i in ids if i not in already],
        ignore_conflicts=True,
    )


def _close(ids: Iterable[int], at: dt.datetime | None, reason: str) -> None:
    """Close the open intervals of these cameras at `at`; None: at each camera's last keepalive. Never before
    the interval's own start."""
    ids = list(ids)
    if not ids:
        return
    if at is None:
        last = Camera.objects.filter(pk=OuterRef("camera_id")).values("last_keepalive_at")[:1]
        end = Greatest(F("started_at"), Coalesce(Subquery(last), F("started_at")))
    else:
        end = Greatest(F("started_at"), Value(at, output_field=DateTimeField()))
    CameraOnlineInterval.objects.filter(camera_id__in=ids, ended_at__isnull=True).update(
        ended_at=end, end_reason=reason
    )


def _channels_of(recorder_ids: Iterable[int]) -> list[int]:
    return list(
        Camera.objects.filter(
            nvr_id__in=list(recorder_ids), status=Camera.Status.ACTIVE
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def cameras_seen(
    ids: Iterable[int],
    at: dt.datetime,
    *,
    transport: str | None = None,
    address: str | None = None,
    registered_until: dt.datetime | None = None,
) -> list[int]:
    """Cameras (or recorders) proved alive at `at` (a REGISTER or a Keepalive). Returns the ids that came
    online now; their channels (not reported OFF) come online with them."""
    ids = list(ids)
    if not ids:
        return []
    fields: dict[str, object] = {"last_keepalive_at": at}
    if transport is not None:
        fields["sip_transport"] = transport
    if address is not None:
        fields["sip_address"] = address[:64]
    if registered_until is not None:
        fields["registered_until"] = registered_until
    active = Camera.objects.filter(pk__in=ids, status=Camera.Status.ACTIVE)
    came = list(active.filter(online=False).values_list("pk", flat=True))
    active.update(**fields)
    if came:
        Camera.objects.filter(pk__in=came).update(online=True)
        _open(came, at)
        channels = list(
            Camera.objects.filter(nvr_id__in=came, status=Camera.Status.ACTIVE, online=False)
            .exclude(catalog_status=CATALOG_OFF)
            .values_list("pk", flat=True)
        )
        if channels:
            Camera.objects.filter(pk__in=channels).update(online=True)
            _open(channels, at)
    return came


@transaction.atomic
def cameras_gone(ids: Iterable[int], at: dt.datetime | None, reason: str) -> list[int]:
    """Cameras (or recorders) known to be offline: un-registered or expired at `at`, or silent (at=None: their
    intervals end at their last keepalive). Their channels go with them. Returns the ids that went offline."""
    ids = list(ids)
    went = list(Camera.objects.filter(pk__in=ids, online=True).values_list("pk", flat=True))
    if not went:
        return []
    channels = [c for c in _channels_of(went) if c not in went]
    Camera.objects.filter(pk__in=went).update(online=False)
    _close(went, at, reason)
    if channels:
        # A channel has no keepalive of its own: it was last vouched for by its recorder's.
        if at is None:
            for recorder, last in Camera.objects.filter(pk__in=went).values_list(
                "pk", "last_keepalive_at"
            ):
                Camera.objects.filter(nvr_id=recorder).update(last_keepalive_at=last)
        Camera.objects.filter(pk__in=channels, online=True).update(online=False)
        _close(channels, at, EndReason.RECORDER_OFFLINE)
    return went


def cameras_silent(now: dt.datetime, *, keepalive_seconds: int, missed: int) -> list[int]:
    """Directly registered cameras and recorders that have missed `missed` keepalives by `now`, or whose
    registration expired; they go offline, their intervals ending at their last keepalive."""
    cutoff = now - dt.timedelta(seconds=keepalive_seconds * missed)
    base = Camera.objects.filter(online=True, source=Camera.Source.SIP, nvr__isnull=True)
    silent = list(base.filter(last_keepalive_at__lt=cutoff).values_list("pk", flat=True))
    expired = list(
        base.filter(registered_until__lt=now).exclude(pk__in=silent).values_list("pk", flat=True)
    )
    went = cameras_gone(silent, None, EndReason.KEEPALIVE_TIMEOUT)
    went += cameras_gone(expired, None, EndReason.EXPIRED)
    return went


@transaction.atomic
def channel_states(recorder: Camera, states: dict[str, str], at: dt.datetime) -> None:
    """A recorder's Catalog: {channel gb_id: "ON"/"OFF"} for the channels smz knows. A channel reported OFF
    goes offline at `at`; ON comes online if the recorder is."""
    channels = {
        c.gb_id: c
        for c in Camera.objects.filter(
            nvr=recorder, gb_id__in=list(states), status=Camera.Status.ACTIVE
        )
    }
    for gb_id, state in states.items():
        if gb_id in channels:
            Camera.objects.filter(pk=channels[gb_id].pk).update(
                catalog_status=state[:3], catalog_at=at
            )
    on = [c.pk for g, c in channels.items() if states[g] != CATALOG_OFF and not c.online]
    off = [c.pk for g, c in channels.items() if states[g] == CATALOG_OFF and c.online]
    if recorder.online and on:
        Camera.objects.filter(pk__in=on).update(online=True)
        _open(on, at)
    if off:
        Camera.objects.filter(pk__in=off).update(online=False)
        _close(off, at, EndReason.CATALOG_OFF)


@transaction.atomic
def platform_states(platform_id: int, online: dict[int, bool], at: dt.datetime) -> None:
    """What a video platform's API says now, {camera id: online}, for cameras that come through it."""
    ids = list(
        Camera.objects.filter(
            pk__in=list(online), platform_id=platform_id, status=Camera.Status.ACTIVE
        ).values_list("pk", "online")
    )
    up = [pk for pk, was in ids if online[pk] and not was]
    down = [pk for pk, was in ids if not online[pk] and was]
    seen = [pk for pk, _ in ids if online[pk]]
    if seen:
        Camera.objects.filter(pk__in=seen).update(last_keepalive_at=at)
    if up:
        Camera.objects.filter(pk__in=up).update(online=True)
        _open(up, at)
    if down:
        Camera.objects.filter(pk__in=down).update(online=False)
        _close(down, at, EndReason.PLATFORM)
