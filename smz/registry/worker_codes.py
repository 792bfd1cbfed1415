"""Codes texted to a worker's phone (N2): his login by mobile number, and the confirmation of a change of his own
phone or wage card (issue 10 item 1). The code machinery (limits, hashing, checking) is smz.accounts.otp; here
is whom a code goes to and what it opens, since the registry owns the workers and their phones.

A number that is not a worker's gets exactly the answers a worker's gets (a code row is stored, a task is
queued, rate limits apply, a wrong code counts), only no text is sent: the login page must not tell who is
registered. The text goes out from a background task (smz/accounts/tasks.py), never inside the request.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from smz.accounts import otp
from smz.accounts.errors import AccountsErrorCode
from smz.accounts.models import Role, User
from smz.accounts.selectors import workers_may_log_in
from smz.accounts.services import worker_account_for
from smz.accounts.tasks import sms_deliver, sms_seal
from smz.core.errors import DomainError, field_errors
from smz.core.events import event_record
from smz.core.validators import normalize_phone, phone_error
from smz.registry.events import RegistryEventKind
from smz.registry.identity import phone_index
from smz.registry.models import Worker
from smz.registry.selectors import workers_find_by_phone
from smz.registry.services import CONTACT_FIELDS, contact_errors, worker_contact_change

SMS_TEXT = "【中山实名制平台】验证码 {code}，5分钟内有效。如非本人操作请忽略。"
CHANGE_SMS_TEXT = (
    "【中山实名制平台】您正在修改{what}，验证码 {code}，5分钟内有效。如非本人操作，请勿告诉他人。"
)


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
        otp.phone_rate_limit(index, now)
        otp.address_and_global_limit(ip, now)
        otp.codes_expired_delete(now)
        code = otp.code_issue(index=index, now=now, ip=ip)
        # A task texts the code, and one is queued for every number: see smz/accounts/tasks.py.
        if workers and workers_may_log_in([w.pk for w in workers]):
            sealed = sms_seal(number, SMS_TEXT.format(code=code))
        else:
            sealed = sms_seal(None, None)
        transaction.on_commit(lambda: sms_deliver.enqueue(sealed))


def login_code_verify(*, phone: str, code: str) -> User:
    """The worker whose phone received `code`; his account is created on the first login. Audited."""
    number = normalize_phone(phone)
    index = phone_index(number)
    now = timezone.now()
    user: User | None = None
    with transaction.atomic():
        login_code = otp.code_latest_locked(index) if index else None
        # Errors are returned, not raised, inside the block: a wrong attempt must be counted (committed).
        error = otp.code_error(login_code, code.strip(), now)
        if error is None:
            workers = list(workers_find_by_phone(phone=number)[:2])
            if len(workers) > 1:
                # The code proves the phone, not the person: a shared family phone names nobody.
                error = DomainError(
                    AccountsErrorCode.OTP_AMBIGUOUS,
                    "该手机号登记在多名人员名下，无法确定您的身份。请联系您的劳资专管员更正手机号码，"
                    "或使用账号密码登录。",
                    status=409,
                )
            elif not workers:
                error = DomainError(AccountsErrorCode.OTP_INVALID, "验证码无效，请重新获取")
            else:
                user, created = worker_account_for(worker_id=workers[0].pk, name=workers[0].name)
                if user.role != Role.WORKER or not user.is_active:
                    error = DomainError(
                        AccountsErrorCode.OTP_NOT_ALLOWED,
                        "该账号不能用手机号登录，请联系您的劳资专管员",
                        status=403,
                    )
                else:
                    event_record(
                        actor=user,
                        kind=RegistryEventKind.WORKER_LOGIN_OTP,
                        subject=workers[0],
                        data={"user": user.pk, "account_created": created},
                    )
    if error is not None:
        raise error
    assert user is not None  # no error means a worker account was found or made
    return user


def change_code_send(*, worker: Worker, what: str, bound: str, ip: str | None) -> None:
    """Text a code to the worker's current (old) phone that confirms one change of his phone or wage card
    (`bound` is a digest of that change); same limits as login codes."""
    if not worker.phone:
        raise DomainError(
            AccountsErrorCode.OTP_NO_PHONE,
            "您没有登记手机号码，无法自助修改，请联系您的劳资专管员",
            status=409,
        )
    index = otp.change_index(worker.phone)
    now = timezone.now()
    with transaction.atomic():
        Worker.objects.select_for_update().filter(pk=worker.pk).first()
        otp.phone_rate_limit(index, now)
        code = otp.code_issue(index=index, now=now, ip=ip, bound=bound)
        sealed = sms_seal(worker.phone, CHANGE_SMS_TEXT.format(what=what, code=code))
        transaction.on_commit(lambda: sms_deliver.enqueue(sealed))


def change_code_verify(*, worker: Worker, bound: str, code: str) -> None:
    """Raise unless `code` is the latest change code texted to the worker's old phone for this change."""
    index = otp.change_index(worker.phone or "")
    now = timezone.now()
    with transaction.atomic():
        change_code = otp.code_latest_locked(index)
        error = otp.code_error(change_code, code.strip(), now, bound)
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
        raise DomainError(AccountsErrorCode.OTP_NOT_ALLOWED, "仅工人本人可以修改", status=403)
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
        raise DomainError(AccountsErrorCode.OTP_NOT_ALLOWED, "仅工人本人可以修改", status=403)
    change_code_verify(worker=worker, bound=_change_digest(worker, changes), code=code)
    return worker_contact_change(actor=user, worker=worker, changes=changes, code_confirmed=True)
