"""Error codes of registry (one enum per app; the strings are what machines and pages receive)."""

from __future__ import annotations

from enum import StrEnum


class RegistryErrorCode(StrEnum):
    """Codes answered by registry: prefix `registry.` (`roster.*`, `key_post.same_holder` keep theirs: machines read them)."""

    WORKER_EXISTS_OTHER_EMPLOYER = "registry.worker_exists_other_employer"
    CHANGE_EVIDENCE_REQUIRED = "registry.change_evidence_required"
    WORKER_NAME_MISMATCH = "registry.worker_name_mismatch"
    ALREADY_EXITED = "registry.already_exited"
    ALREADY_ON_PROJECT = "registry.already_on_project"
    TEAM_EXISTS = "registry.team_exists"
    NO_AUTHORITY = "registry.no_authority"
    ROSTER_BAD_FILE = "roster.bad_file"
    ROSTER_FILE_TOO_LARGE = "roster.file_too_large"
    ROSTER_BAD_HEADER = "roster.bad_header"
    ROSTER_EMPTY = "roster.empty"
    ROSTER_TOO_MANY_ROWS = "roster.too_many_rows"
    ROSTER_INVALID_ROWS = "roster.invalid_rows"
    ROSTER_EXPORT_TOO_LARGE = "roster.export_too_large"
    PROJECT_ALREADY_PAUSED = "registry.project_already_paused"
    PROJECT_NOT_PAUSED = "registry.project_not_paused"
    PROJECT_TRANSITION = "registry.project_transition"
    PROJECT_START_INVALID = "registry.project_start_invalid"
    KEY_POST_SAME_HOLDER = "key_post.same_holder"
    ENROLL_EMPTY = "registry.enroll_empty"
    ENROLL_TOO_LARGE = "registry.enroll_too_large"
    ENROLL_TYPE = "registry.enroll_type"
    ENROLL_RESOLUTION = "registry.enroll_resolution"
    ENROLL_FACES = "registry.enroll_faces"
    NOT_BUILDER = "registry.not_builder"
    PARTICIPANT_ROLE_RESERVED = "registry.participant_role_reserved"
