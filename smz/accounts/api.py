import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema

from smz.accounts import selectors, services
from smz.accounts.models import ApiToken
from smz.core.api_errors import errors
from smz.core.strict import text

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


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenListOut(Schema):
    items: list[TokenOut]
    count: int


class TokenIn(Schema):
    name: text(max_length=60, min_length=1) = Field(description="用途，例如 劳务对接")


class TokenIssuedOut(TokenOut):
    token: str = Field(description="完整令牌，只返回这一次；请妥善保存")


def _issued(token, raw: str) -> dict:
    return TokenOut.from_orm(token).model_dump() | {"token": raw}


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


@router.get(
    "/tokens", response={200: TokenListOut, **errors(400, 401, 422)}, summary="我的接口令牌"
)
def token_list(request: HttpRequest):
    tokens = list(selectors.api_token_list_for(request.user))
    return {"items": tokens, "count": len(tokens)}


@router.post(
    "/tokens",
    response={201: TokenIssuedOut, **errors(400, 401, 403, 422)},
    summary="签发接口令牌（有效期默认30天）",
)
def token_create(request: HttpRequest, body: TokenIn):
    raw = services.api_token_create(actor=request.user, user=request.user, name=body.name)
    token = selectors.api_token_list_for(request.user).get(key_hash=ApiToken.hash(raw))
    return 201, _issued(token, raw)


@router.post(
    "/tokens/{int:token_id}/rotate",
    response={201: TokenIssuedOut, **errors(400, 401, 403, 404, 409, 422)},
    summary="轮换接口令牌：签发新令牌，旧令牌立即失效",
)
def token_rotate(request: HttpRequest, token_id: int):
    token = selectors.api_token_get_for(request.user, token_id)
    new, raw = services.api_token_rotate(actor=request.user, token=token)
    return 201, _issued(new, raw)


@router.post(
    "/tokens/{int:token_id}/revoke",
    response={204: None, **errors(400, 401, 403, 404, 422)},
    summary="撤销接口令牌",
)
def token_revoke(request: HttpRequest, token_id: int):
    token = selectors.api_token_get_for(request.user, token_id)
    services.api_token_revoke(actor=request.user, token=token)
    return 204, None
