from django.http import HttpRequest
from ninja import Router, Schema

from smz.core.api_errors import errors

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    authority: str | None
    enterprise_corp_code: str | None
    worker_id: int | None


@router.get("/me", response={200: MeOut, **errors(401)}, summary="当前账号")
def me(request: HttpRequest):
    u = request.user
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "role_label": u.role_label,
        "authority": u.authority.name if u.authority_id else None,
        "enterprise_corp_code": u.enterprise.corp_code if u.enterprise_id else None,
        "worker_id": u.worker_id,
    }
