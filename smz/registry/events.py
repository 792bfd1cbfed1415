"""Event kinds of registry: what `smz.core.events.event_record` writes for this app's subjects."""

from __future__ import annotations

from enum import StrEnum


class RegistryEventKind(StrEnum):
    """Event kinds written by registry (core.Event.kind, stored: never renamed)."""

    ROSTER_IMPORTED = "roster.imported"
    PROJECT_STATUS_EFFECTIVE = "project.status_effective"
    PROJECT_START_CHANGED = "project.start_changed"
    PROJECT_STARTED = "project.started"
    PROJECT_START_DECLARED = "project.start_declared"
    PROJECT_SUSPENDED = "project.suspended"
    PROJECT_RESUMED = "project.resumed"
    PROJECT_ATTENDANCE_STOPPED = "project.attendance_stopped"
    PROJECT_COMPLETED = "project.completed"
    KEY_POST_CHANGE_RECORDED = "key_post.change_recorded"
    WORKER_REGISTERED = "worker.registered"
    EMPLOYMENT_REGISTERED = "employment.registered"
    WORKER_FACE_CAPTURED = "worker.face_captured"
    WORKER_FACE_ENROLLED = "worker.face_enrolled"
    WORKER_UPDATED = "worker.updated"
    WORKER_CONTACT_CHANGED = "worker.contact_changed"
    EMPLOYMENT_UPDATED = "employment.updated"
    EMPLOYMENT_EXITED = "employment.exited"
    ENTERPRISE_REGISTERED = "enterprise.registered"
    ENTERPRISE_UPDATED = "enterprise.updated"
    KEY_POST_ASSIGNED = "key_post.assigned"
    TEAM_CREATED = "team.created"
    WORKER_LOGIN_OTP = "worker.login_otp"
    TEAM_UPDATED = "team.updated"
    PARTICIPANT_ADDED = "participant.added"
    PARTICIPANT_UPDATED = "participant.updated"
