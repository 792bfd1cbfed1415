"""Worker login by mobile number and a one-time text code (短信验证码登录, N2).

A number that is not a worker's gets exactly the answers a worker's gets (a code row is stored, a task is
queued, rate limits apply, a wrong code counts), only no text is sent: the login page must not tell who is
registered. The text goes out from a background task (smz/accounts/tasks.py), never inside the request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import secrets
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from smz.accounts.models import LoginCode, Role, User
from smz.accounts.tasks import sms_deliver, sms_seal
from smz.core import crypto
from smz.core.errors import DomainError, field_errors
from smz.core.events import event_record
from smz.core.validators import normalize_phone, phone_error
from smz.registry.identity import phone_index
from smz.registry.models import Worker
from smz.registry.selectors import workers_find_by_phone
from smz.registry.services import CONTACT_FIELDS, contact_errors, worker_contact_change

CODE_TTL = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(seconds=60)
LIMIT_WINDOW = dt.timedelta(hours=1)
LIMIT_PER_WINDOW = 5
MAX_ATTEMPTS = 5
# Codes are kept a day for the rate limits and for questions about a login; then they go.
KEEP_CODES = dt.timedelta(days=1)
CODE_PURPOSE = "accounts.login_code"
SMS_TEXT = "【中山实名制平台】验证码 {code}，5分钟内有效。如非本人操作请忽略。"
# Codes that confirm a change of the worker's own phone or wage card go to his OLD phone, under an index of
# their own (a change code never logs anybody in, a login code never confirms a change).
CHANGE_PURPOSE = "accounts.change_code"
CHANGE_SMS_TEXT = (
    "【中山实名制平台】您正在修改{what}，验证码 {code}，5分钟内有效。如非本人操作，请勿告诉他人。"
)


class OtpErrorCode(StrEnum):
    TOO_MANY = "otp.too_many"
    INVALID = "otp.invalid"
    EXPIRED = "otp.expired"
    AMBIGUOUS = "otp.ambiguous"
    NOT_ALLOWED = "otp.not_allowed"
    NO_PHONE = "otp.no_phone"


def _code_hash(index: str, code: str, bound: str = "") -> str:
    # Keyed: six digits are a million guesses, so a plain hash in a database dump would give the code away.
    # `bound` ties a change code to the one change it was sent for.
    return crypto.blind_index(
        f"{index}:{bound}:{code}" if bound else f"{index}:{code}", purpose=CODE_PURPOSE
    )


def _may_log_in(workers: list[Worker]) -> bool:
    """Someone with this number may log in: a person without an account yet, or with an active worker one."""
    accounts = {u.worker_id: u for u in User.objects.filter(worker__in=workers)}
    return any(
        w.pk not in accounts or (accounts[w.pk].role == Role.WORKER and accounts[w.pk].is_active)
        for w in workers
    )


def _rate_limit(index: str, now: dt.datetime) -> None:
    recent = list(
        LoginCode.objects.filter(phone_index=index, created_at__gt=now - LIMIT_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
    )
    if recent and now - recent[0] < RESEND_AFTER:
        wait = math.ceil((recent[0] + RESEND_AFTER - now).total_seconds())
        raise DomainError(
            OtpErrorCode.TOO_MANY,
            f"获取验证码过于频繁，请{wait}秒后再试",
            {"retry_after": wait},
            status=429,
        )
    if len(recent) >= LIMIT_PER_WINDOW:
        wait = math.ceil((recent[LIMIT_PER_WINDOW - 1] + LIMIT_WINDOW - now).total_seconds())
        raise DomainError(
            OtpErrorCode.TOO_MANY,
            f"该手机号1小时内获取验证码已达{LIMIT_PER_WINDOW}次，请{math.ceil(wait / 60)}分钟后再试",
            {"retry_after": wait},
            status=429,
        )


def _address_and_global_limit(ip: str | None, now: dt.datetime) -> None:
    """Caps over every number: per client address and for the whole platform, per hour (stored codes count)."""
    since = now - LIMIT_WINDOW
    # The same words for both caps and for any number: the answer must not tell who is registered.
    refusal = DomainError(
        OtpErrorCode.TOO_MANY,
        "获取验证码的请求过多，请1小时后再试；如需立即登录，请联系您的劳资专管员",
        {"retry_after": int(LIMIT_WINDOW.total_seconds())},
        status=429,
    )
    if ip and (
        LoginCode.objects.filter(ip=ip, created_at__gt=since).count()
        >= settings.SMZ_OTP_PER_ADDRESS_HOURLY
    ):
        raise refusal
    if LoginCode.objects.filter(created_at__gt=since).count() >= settings.SMZ_OTP_GLOBAL_HOURLY:
        raise refusal


def login_code_send(*, phone: str, ip: str | None) -> None:
    """Text a fresh login code to a worker's phone; any other valid number gets the same answer, no text."""
    if error := phone_error(phone):
        raise field_errors({"phone": error})
    number = normalize_phone(phone)
    index = phone_index(number)
    now = timezone.now()
    with transaction.atomic():
        # Locking the phone's people serialises two sends to one worker, so the limits hold under a race.
        workers = list(workers_find_by_phone(phone=number).select_for_update())
        _rate_limit(index, now)
        _address_and_global_limit(ip, now)
        LoginCode.objects.filter(created_at__lt=now - KEEP_CODES).delete()
        code = f"{secrets.randbelow(10**6):06d}"
        LoginCode.objects.create(
            phone_index=index,
            code_hash=_code_hash(index, code),
            created_at=now,
            expires_at=now + CODE_TTL,
            ip=ip or None,
        )
        # A task texts the code, and one is queued for every number: see smz/accounts/tasks.py.
        if workers and _may_log_in(workers):
            sealed = sms_seal(number, SMS_TEXT.format(code=code))
        else:
            sealed = sms_seal(None, None)
        transaction.on_commit(lambda: sms_deliver.enqueue(sealed))


def _code_error(
    login_code: LoginCode | None, code: str, now: dt.datetime, bound: str = ""
) -> DomainError | None:
    """Check `code` against the phone's latest code, counting a wrong one; None when it matches."""
    if login_code is None:
        return DomainError(OtpErrorCode.INVALID, "验证码无效，请重新获取")
    if login_code.used_at is not None:
        return DomainError(OtpErrorCode.INVALID, "验证码已使用，请重新获取")
    if login_code.attempts >= MAX_ATTEMPTS:
        return DomainError(OtpErrorCode.INVALID, "验证码错误次数过多，已失效，请重新获取")
    if login_code.expires_at <= now:
        return DomainError(OtpErrorCode.EXPIRED, "验证码已过期，请重新获取")
    expected = _code_hash(login_code.phone_index, code, bound)
    if not hmac.compare_digest(login_code.code_hash, expected):
        login_code.attempts += 1
        login_code.save(update_fields=["attempts"])
        left = MAX_ATTEMPTS - login_code.attempts
        if left <= 0:
            return DomainError(OtpErrorCode.INVALID, "验证码错误次数过多，已失效，请重新获取")
        return DomainError(OtpErrorCode.INVALID, f"验证码错误，还可尝试{left}次")
    login_code.used_at = now
    login_code.save(update_fields=["used_at"])
    return None


def _worker_account(worker: Worker) -> tuple[User, bool]:
    """The worker's own account, created on his first login (no password: he logs in by phone)."""
    user = User.objects.filter(worker=worker).first()
    if user is not None:
        return user, False
    user = User(
        username=f"w{worker.pk}", role=Role.WORKER, worker=worker, display_name=worker.name[:40]
    )
    user.set_unusable_password()
    user.save()
    return user, True


def login_code_verify(*, phone: str, code: str) -> User:
    """The worker whose phone received `code`; his account is created on the first login. Audited."""
    number = normalize_phone(phone)
    index = phone_index(number)
    now = timezone.now()
    user: User | None = None
    with transaction.atomic():
        login_code = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=index)
            .order_by("-created_at", "-pk")
            .first()
            if index
            else None
        )
        # Errors are returned, not raised, inside the block: a wrong attempt must be counted (committed).
        error = _code_error(login_code, code.strip(), now)
        if error is None:
            workers = list(workers_find_by_phone(phone=number)[:2])
            if len(workers) > 1:
                # The code proves the phone, not the person: a shared family phone names nobody.
                error = DomainError(
                    OtpErrorCode.AMBIGUOUS,
                    "该手机号登记在多名人员名下，无法确定您的身份。请联系您的劳资专管员更正手机号码，"
                    "或使用账号密码登录。",
                    status=409,
                )
            elif not workers:
                error = DomainError(OtpErrorCode.INVALID, "验证码无效，请重新获取")
            else:
                user, created = _worker_account(workers[0])
                if user.role != Role.WORKER or not user.is_active:
                    error = DomainError(
                        OtpErrorCode.NOT_ALLOWED,
                        "该账号不能用手机号登录，请联系您的劳资专管员",
                        status=403,
                    )
                else:
                    event_record(
                        actor=user,
                        kind="worker.login_otp",
                        subject=workers[0],
                        data={"user": user.pk, "account_created": created},
                    )
    if error is not None:
        raise error
    assert user is not None  # no error means a worker account was found or made
    return user


def _change_index(worker: Worker) -> str:
    """The code index of a worker's change codes: his old phone, in a namespace of its own."""
    return crypto.blind_index(normalize_phone(worker.phone or ""), purpose=CHANGE_PURPOSE)


def change_code_send(*, worker: Worker, what: str, bound: str, ip: str | None) -> None:
    """Text a code to the worker's current (old) phone that confirms one change of his phone or wage card
    (`bound` is a digest of that change); same limits as login codes."""
    if not worker.phone:
        raise DomainError(
            OtpErrorCode.NO_PHONE,
            "您没有登记手机号码，无法自助修改，请联系您的劳资专管员",
            status=409,
        )
    index = _change_index(worker)
    now = timezone.now()
    with transaction.atomic():
        Worker.objects.select_for_update().filter(pk=worker.pk).first()
        _rate_limit(index, now)
        code = f"{secrets.randbelow(10**6):06d}"
        LoginCode.objects.create(
            phone_index=index,
            code_hash=_code_hash(index, code, bound),
            created_at=now,
            expires_at=now + CODE_TTL,
            ip=ip or None,
        )
        sealed = sms_seal(worker.phone, CHANGE_SMS_TEXT.format(what=what, code=code))
        transaction.on_commit(lambda: sms_deliver.enqueue(sealed))


def change_code_verify(*, worker: Worker, bound: str, code: str) -> None:
    """Raise unless `code` is the latest change code texted to the worker's old phone for this change."""
    index = _change_index(worker)
    now = timezone.now()
    with transaction.atomic():
        change_code = (
            LoginCode.objects.select_for_update()
            .filter(phone_index=index)
            .order_by("-created_at", "-pk")
            .first()
        )
        error = _code_error(change_code, code.strip(), now, bound)
    if error is not None:
        raise error


def _change_digest(worker: Worker, changes: dict[str, str]) -> str:
    return hashlib.sha256(
        json.dumps([worker.pk, sorted(changes.items())], ensure_ascii=False).encode()
    ).hexdigest()


def contact_change_request(
    *, user: User, changes: dict[str, str], ip: str | None
) -> dict[str, str]:
    """A worker asks to change his own phone or wage card: checked, then a code goes to his OLD phone.
    Returns the cleaned change, to be confirmed with the code (contact_change_confirm)."""
    worker = Worker.objects.filter(pk=user.worker_id).first() if user.role == Role.WORKER else None
    if worker is None:
        raise DomainError(OtpErrorCode.NOT_ALLOWED, "仅工人本人可以修改", status=403)
    changes = {
        f: v.replace(" ", "").strip() for f, v in changes.items() if f in CONTACT_FIELDS and v
    }
    changes = {f: v for f, v in changes.items() if getattr(worker, f) != v}
    if not changes:
        raise field_errors({"phone": "请填写新的手机号码或工资卡信息"})
    if errors := contact_errors(changes):
        raise field_errors(errors)
    what = "、".join(dict.fromkeys("手机号码" if f == "phone" else "工资卡" for f in changes))
    change_code_send(worker=worker, what=what, bound=_change_digest(worker, changes), ip=ip)
    return changes


def contact_change_confirm(*, user: User, changes: dict[str, str], code: str) -> list[str]:
    """Apply the worker's own change once the code texted to his old phone matches; audited."""
    worker = Worker.objects.filter(pk=user.worker_id).first() if user.role == Role.WORKER else None
    if worker is None:
        raise DomainError(OtpErrorCode.NOT_ALLOWED, "仅工人本人可以修改", status=403)
    change_code_verify(worker=worker, bound=_change_digest(worker, changes), code=code)
    return worker_contact_change(actor=user, worker=worker, changes=changes, code_confirmed=True)
