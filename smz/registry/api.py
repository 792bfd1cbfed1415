"""Registry endpoints (/api/v1/): read what the caller's scope allows; write what enterprises maintain."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from smz.core.api_errors import errors
from smz.core.errors import Forbidden, NotFound, field_errors
from smz.core.paging import page_rows
from smz.core.pii import pii_reveal
from smz.core.strict import QueryId, text
from smz.registry import identity, selectors, services
from smz.registry.codes import code_table
from smz.registry.models import Enterprise
from smz.registry.schemas import (
    CodeOut,
    EmploymentIn,
    EmploymentOut,
    EmploymentPatch,
    EnterpriseOut,
    ExitIn,
    JurisdictionOut,
    KeyPostOut,
    ParticipantOut,
    ProjectOut,
    RevealOut,
    TeamIn,
    TeamOut,
    TeamPatch,
    WorkerOut,
    WorkerPatch,
    WorkerPostIn,
    WorkerSearchIn,
)
from smz.registry.scoping import can_maintain_roster

router = Router(tags=["registry"])


MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500
QueryText = text(max_length=100)


class Page(PageNumberPagination):
    class Input(Schema):
        # Limits are refused (422), never cut: a client asking for 1000 rows must learn it gets at most 500.
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)

    bucket = ""  # the lists' first sort key, to page by it (smz.core.paging.Buckets)

    def paginate_queryset(self, queryset, pagination: Input, **params):
        size = pagination.page_size
        offset = (pagination.page - 1) * size
        items, count = page_rows(queryset, offset, offset + size, bucket=self.bucket)
        return {"items": items, "count": count}


class EmploymentPage(Page):
    bucket = selectors.EMPLOYMENT_BUCKET


class ProjectFilter(Schema):
    q: QueryText = ""
    jurisdiction: QueryText = ""
    status: QueryText = ""
    kind: QueryText = ""
    in_scope: bool | None = None


@router.get("/projects", response={200: list[ProjectOut], **errors(401, 422)}, summary="项目列表")
@paginate(Page)
def project_list(request: HttpRequest, filters: Query[ProjectFilter]):
    return selectors.project_list_for(request.user, **filters.dict())


@router.get(
    "/projects/{int:project_id}", response={200: ProjectOut, **errors(401, 404)}, summary="项目详情"
)
def project_detail(request: HttpRequest, project_id: int):
    return selectors.project_get_for(request.user, project_id)


@router.get(
    "/projects/{int:project_id}/participants",
    response={200: list[ParticipantOut], **errors(401, 404)},
    summary="参建单位",
)
def project_participants(request: HttpRequest, project_id: int):
    return list(selectors.participant_list(selectors.project_get_for(request.user, project_id)))


@router.get(
    "/projects/{int:project_id}/key-posts",
    response={200: list[KeyPostOut], **errors(401, 404)},
    summary="现场管理岗位",
)
def project_key_posts(request: HttpRequest, project_id: int):
    project = selectors.project_get_for(request.user, project_id)
    return list(selectors.key_post_list_for(request.user, project=project.pk))


@router.get("/teams", response={200: list[TeamOut], **errors(401, 422)}, summary="班组列表")
@paginate(Page)
def team_list(request: HttpRequest, project: QueryId | None = None):
    return selectors.team_list_for(request.user, project=project)


def _enterprise(corp_code: str, field: str = "corp_code") -> Enterprise:
    enterprise = selectors.enterprise_by_corp_code(corp_code)
    if enterprise is None:
        raise field_errors({field: "未找到该统一社会信用代码的企业"})
    return enterprise


@router.post(
    "/teams",
    response={201: TeamOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="登记班组",
)
def team_create(request: HttpRequest, payload: TeamIn):
    project = selectors.project_get_for(request.user, payload.project_id)
    team = services.team_create(
        actor=request.user,
        project=project,
        enterprise=_enterprise(payload.corp_code),
        **payload.dict(exclude={"project_id", "corp_code"}),
    )
    return 201, team


@router.patch(
    "/teams/{int:team_id}",
    response={200: TeamOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="修改班组",
)
def team_update(request: HttpRequest, team_id: int, payload: TeamPatch):
    team = selectors.team_get_for(request.user, team_id)
    return services.team_update(actor=request.user, team=team, **payload.dict(exclude_unset=True))


class WorkerFilter(Schema):
    q: QueryText = ""


@router.get(
    "/workers",
    response={200: list[WorkerOut], **errors(400, 401, 422)},
    summary="人员列表（按姓名）",
    description="按完整证件号码查找请用 POST /workers/search；网址中带 id_number、phone 或 bank_card "
    "参数的请求一律返回 400 `pii.id_in_url`（个人号码不得出现在网址和访问日志中）。",
)
@paginate(Page)
def worker_list(request: HttpRequest, filters: Query[WorkerFilter]):
    return selectors.worker_list_for(request.user, q=filters.q)


@router.post(
    "/workers/search",
    response={200: list[WorkerOut], **errors(400, 401, 422)},
    summary="按完整证件号码精确查找人员（号码放在请求体中，不进网址）",
)
@paginate(Page)
def worker_search(request: HttpRequest, payload: WorkerSearchIn):
    index = identity.id_number_index(payload.id_card_type, payload.id_number)
    return selectors.worker_list_for(request.user, id_number_index=index)


@router.get(
    "/workers/{int:worker_id}",
    response={200: WorkerOut, **errors(401, 404)},
    summary="人员详情（脱敏）",
)
def worker_detail(request: HttpRequest, worker_id: int):
    return selectors.worker_get_for(request.user, worker_id)


@router.get(
    "/workers/{int:worker_id}/reveal",
    response={200: RevealOut, **errors(401, 403, 404, 422)},
    summary="查看完整个人信息（按角色授权，记录审计）",
)
def worker_reveal(
    request: HttpRequest,
    worker_id: int,
    field: text(max_length=30),
    purpose: text(max_length=100) = "接口查询",
):
    worker = selectors.worker_get_for(request.user, worker_id)
    value = pii_reveal(user=request.user, worker=worker, field=field, purpose=purpose)
    return {"field": field, "value": value}


@router.post(
    "/workers",
    response={200: WorkerOut, 201: WorkerOut, **errors(400, 401, 403, 409, 422)},
    summary="登记人员（按证件号码去重；已登记的他单位人员返回 409，不透露其信息）",
)
def worker_create(request: HttpRequest, payload: WorkerPostIn):
    evidence = payload.dict(include={"change_reason", "evidence_ref"})
    worker, created = services.worker_upsert(
        actor=request.user,
        data=services.WorkerData(**payload.dict(exclude={"change_reason", "evidence_ref"})),
        **evidence,
    )
    return (201 if created else 200), worker


@router.patch(
    "/workers/{int:worker_id}",
    response={200: WorkerOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="修改人员联系方式、工资卡等（替换手机号码或工资卡须填写变更原因和证明材料）",
)
def worker_update(request: HttpRequest, worker_id: int, payload: WorkerPatch):
    worker = selectors.worker_get_for(request.user, worker_id)
    if not services.worker_may_edit(request.user, worker):
        raise Forbidden("无权修改该人员信息")
    changes = payload.dict(exclude_unset=True, exclude={"change_reason", "evidence_ref"})
    data = services.WorkerData(
        id_card_type=worker.id_card_type,
        id_number=worker.id_number,
        name=worker.name,
        gender=worker.gender,
        **{k: v for k, v in changes.items() if v is not None},
    )
    worker, _ = services.worker_upsert(
        actor=request.user,
        data=data,
        change_reason=payload.change_reason,
        evidence_ref=payload.evidence_ref,
    )
    return worker


class EmploymentFilter(Schema):
    project: QueryId | None = None
    team: QueryId | None = None
    status: QueryText = ""
    work_role: QueryText = ""
    q: QueryText = ""


@router.get(
    "/employments",
    response={200: list[EmploymentOut], **errors(401, 422)},
    summary="项目人员列表",
)
@paginate(EmploymentPage)
def employment_list(request: HttpRequest, filters: Query[EmploymentFilter]):
    return selectors.employment_list_for(request.user, **filters.dict())


@router.post(
    "/employments",
    response={201: EmploymentOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="项目人员登记（进场）",
)
def employment_create(request: HttpRequest, payload: EmploymentIn):
    project = selectors.project_get_for(request.user, payload.project_id)
    employer = _enterprise(payload.corp_code)
    team = selectors.team_get_for(request.user, payload.team_id) if payload.team_id else None
    if not can_maintain_roster(request.user, project, employer.pk):
        # Before the person is looked up: who may not register here learns nothing about him.
        raise Forbidden("无权为该企业登记项目人员")
    if payload.worker is not None:
        worker, _ = services.worker_for_entry(
            actor=request.user, data=services.WorkerData(**payload.worker.dict())
        )
    elif payload.worker_id is not None:
        worker = selectors.worker_get_for(request.user, payload.worker_id)
    else:
        raise field_errors({"worker": "请提供 worker 或 worker_id"})
    employment = services.employment_register(
        actor=request.user,
        project=project,
        worker=worker,
        employer=employer,
        team=team,
        work_type=payload.work_type,
        work_role=payload.work_role,
        entry_on=payload.entry_on,
        is_team_leader=payload.is_team_leader,
    )
    return 201, employment


@router.patch(
    "/employments/{int:employment_id}",
    response={200: EmploymentOut, **errors(400, 401, 403, 404, 422)},
    summary="修改项目人员",
)
def employment_update(request: HttpRequest, employment_id: int, payload: EmploymentPatch):
    employment = selectors.employment_get_for(request.user, employment_id)
    changes = payload.dict(exclude_unset=True)
    if "team_id" in changes:
        team_id = changes.pop("team_id")
        changes["team"] = selectors.team_get_for(request.user, team_id) if team_id else None
    return services.employment_update(actor=request.user, employment=employment, **changes)


@router.post(
    "/employments/{int:employment_id}/exit",
    response={200: EmploymentOut, **errors(400, 401, 403, 404, 422)},
    summary="退场登记",
)
def employment_exit(request: HttpRequest, employment_id: int, payload: ExitIn):
    employment = selectors.employment_get_for(request.user, employment_id)
    return services.employment_exit(
        actor=request.user, employment=employment, exit_on=payload.exit_on
    )


@router.get("/jurisdictions", response=list[JurisdictionOut], summary="镇区", auth=None)
def jurisdiction_list(request: HttpRequest):
    return list(selectors.jurisdictions())


@router.get("/enterprises", response={200: list[EnterpriseOut], **errors(401, 422)}, summary="企业")
@paginate(Page)
def enterprise_list(request: HttpRequest, q: QueryText = ""):
    return selectors.enterprise_list_for(request.user, q=q)


@router.get(
    "/codes/{table}",
    response={200: list[CodeOut], **errors(404, 422)},
    summary="代码表",
    auth=None,
)
def code_list(request: HttpRequest, table: text(max_length=40)):
    rows = code_table(table)
    if not rows:
        raise NotFound("代码表")
    return [{"code": c, "name": n} for c, n in rows.items()]
