"""The roles of the platform (P2, P3) and their groups: the vocabulary every access rule is written in.

They live in core so that the base modules (personal-data policy) and every app can name a role without importing
accounts; `smz.accounts.models` re-exports them beside the `User` that carries one.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", "市级管理员"
    CITY_SUPERVISOR = "city_supervisor", "市级监督（只读）"
    APPROVER_L1 = "approver_l1", "一级审批人"
    APPROVER_L2 = "approver_l2", "二级审批人"
    QUALITY_CLERK = "quality_clerk", "质量中心经办人"
    WINDOW_CLERK = "window_clerk", "窗口人脸采集员"
    ENTERPRISE_ADMIN = "enterprise_admin", "企业管理员"
    LABOR_SPECIALIST = "labor_specialist", "劳资专管员"
    PROJECT_MANAGER = "project_manager", "项目经理"
    SUPERVISION_MANAGER = "supervision_manager", "总监理工程师"
    BUILDER = "builder", "建设单位项目负责人"
    WORKER = "worker", "工人"


AUTHORITY_ROLES = frozenset(
    {
        Role.CITY_ADMIN,
        Role.CITY_SUPERVISOR,
        Role.APPROVER_L1,
        Role.APPROVER_L2,
        Role.QUALITY_CLERK,
        Role.WINDOW_CLERK,
    }
)
ENTERPRISE_ROLES = frozenset(
    {
        Role.ENTERPRISE_ADMIN,
        Role.LABOR_SPECIALIST,
        Role.PROJECT_MANAGER,
        Role.SUPERVISION_MANAGER,
    }
)
# Enterprise roles that act only on the projects they are assigned to (an enterprise admin acts on all of its own).
PROJECT_BOUND_ROLES = frozenset(
    {Role.LABOR_SPECIALIST, Role.PROJECT_MANAGER, Role.SUPERVISION_MANAGER}
)
# 建设单位 (P2, C6): anchored to the enterprise that is a project's builder; reads its projects (pages, attendance
# figures, approvals), declares the planned start (WF1), sees no person and writes nothing else.
BUILDER_ROLES = frozenset({Role.BUILDER})
