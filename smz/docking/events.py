"""Event kinds of docking: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class DockingEventKind(StrEnum):
    """Event kinds written by docking (core.Event.kind, stored: never renamed)."""

    APP_AUTHORIZED = "docking.app_authorized"
    APP_SCOPE_CHANGED = "docking.app_scope_changed"
    APP_SECRET_ROTATED = "docking.app_secret_rotated"
    APP_REVOKED = "docking.app_revoked"
    REQUEST_PROCESSED = "docking.request_processed"
    WEBHOOK_URL_SET = "docking.webhook_url_set"
    WEBHOOK_RESENT = "docking.webhook_resent"
    UPSTREAM_TARGET_SAVED = "docking.upstream_target_saved"
    UPSTREAM_RETRIED = "docking.upstream_retried"


class WebhookEvent(StrEnum):
    """`X-Smz-Event` of a webhook delivery (the event's `event` field): stored and sent, never renamed."""

    REQUEST_FINISHED = "docking.request_finished"
    APPROVAL_DECIDED = "docking.approval_decided"
