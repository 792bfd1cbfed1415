"""Encryption at rest, blind index, key rotation and production secrets (N2)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast
from django.test import override_settings

from smz.core import crypto
from smz.registry.identity import id_number_index
from smz.registry.models import Worker
from smz.registry.selectors import worker_find_by_id_number
from smz.registry.synthetic import synthetic_id_number

OLD_KEY = base64.b64encode(b"o" * 32).decode()
NEW_KEY = base64.b64encode(b"n" * 32).decode()
BOTH_KEYS = f"old:{OLD_KEY},new:{NEW_KEY}"
PHONE = "13912345678"
CARD = "6222020200112233445"


def _worker(seq: int, *, phone: str = PHONE, bank_card: str = CARD) -> Worker:
    idn = synthetic_id_number(birth=dt.date(1980, 5, 17), seq=seq, male=True)
    return Worker.objects.create(
        id_number=idn,
        id_number_index=id_number_index("01", idn),
        name=f"加密测试{seq}",
        gender="1",
        phone=phone,
        bank_card=bank_card,
    )


def _raw(worker: Worker, field: str) -> str:
    return (
        Worker.objects.filter(pk=worker.pk)
        .annotate(raw=Cast(field, TextField()))
        .values_list("raw", flat=True)
        .get()
    )


def test_n2_round_trip_and_fresh_nonce_per_value():
    for plain in ["11010519491231002X", "13800001234", "", "张三 · 住址"]:
        assert crypto.decrypt(crypto.encrypt(plain)) == plain
    a, b = crypto.encrypt("11010519491231002X"), crypto.encrypt("11010519491231002X")
    assert a != b
    assert a.startswith(f"{settings.SMZ_DATA_KEY_ID}$")
    assert crypto.key_id_of(a) == settings.SMZ_DATA_KEY_ID


@pytest.mark.django_db
def test_n2_database_holds_only_ciphertext_under_the_current_key():
    worker = _worker(1)
    idn = worker.id_number
    key_prefix = f"{settings.SMZ_DATA_KEY_ID}$"
    for field, plain in [("id_number", idn), ("phone", PHONE), ("bank_card", CARD)]:
        raw = _raw(worker, field)
        assert raw.startswith(key_prefix)
        assert plain not in raw
        assert crypto.decrypt(raw) == plain
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, bank_card FROM registry_worker WHERE id = %s", [worker.pk]
        )
        row = cursor.fetchone()
    assert all(value.startswith(key_prefix) for value in row)
    assert not {idn, PHONE, CARD} & set(row)
    assert all(idn[-6:] not in value and PHONE[-6:] not in value for value in row)
    fresh = Worker.objects.get(pk=worker.pk)
    assert (fresh.id_number, fresh.phone, fresh.bank_card) == (idn, PHONE, CARD)


@pytest.mark.django_db
def test_n2_empty_personal_fields_stay_empty():
    worker = _worker(2, phone="", bank_card="")
    assert _raw(worker, "phone") == ""
    assert Worker.objects.get(pk=worker.pk).bank_card == ""


def test_n2_tampered_ciphertext_is_refused():
    token = crypto.encrypt("11010519491231002X")
    key_id, _, b64 = token.partition("$")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        crypto.decrypt(f"{key_id}${base64.b64encode(bytes(raw)).decode()}")
    raw[-1] ^= 0x01
    raw[14] ^= 0x80  # a ciphertext byte, not the tag
    with pytest.raises(InvalidTag):
        crypto.decrypt(f"{key_id}${base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, aad=b"another-purpose")
    with pytest.raises(ImproperlyConfigured):
        crypto.decrypt(f"nosuchkey${b64}")


def test_n2_a_value_sealed_under_one_key_does_not_open_under_another():
    with override_settings(SMZ_DATA_KEYS=BOTH_KEYS, SMZ_DATA_KEY_ID="old"):
        token = crypto.encrypt("13800001234")
        assert token.startswith("old$")
        with pytest.raises(InvalidTag):
            crypto.decrypt("new$" + token.partition("$")[2])


def test_n2_misconfigured_keys_are_refused():
    with (
        override_settings(SMZ_DATA_KEYS=BOTH_KEYS, SMZ_DATA_KEY_ID="missing"),
        pytest.raises(ImproperlyConfigured),
    ):
        crypto.encrypt("x")
    short = base64.b64encode(b"short").decode()
    with (
        override_settings(SMZ_DATA_KEYS=f"bad:{short}", SMZ_DATA_KEY_ID="bad"),
        pytest.raises(ImproperlyConfigured),
    ):
        crypto.encrypt("x")


@pytest.mark.django_db
def test_n2_rotate_data_keys_reencrypts_everything_under_the_current_key():
    with override_settings(SMZ_DATA_KEYS=BOTH_KEYS, SMZ_DATA_KEY_ID="old"):
        workers = [_worker(10), _worker(11), _worker(12, phone="", bank_card="")]
        plain = {w.pk: (w.id_number, w.phone, w.bank_card) for w in workers}
        stamps = dict(Worker.objects.values_list("pk", "updated_at"))
        assert _raw(workers[0], "id_number").startswith("old$")

    with override_settings(SMZ_DATA_KEYS=BOTH_KEYS, SMZ_DATA_KEY_ID="new"):
        out = io.StringIO()
        call_command("rotate_data_keys", "--dry-run", stdout=out)
        assert "registry.Worker.id_number: would re-encrypt 3 (old: 3)" in out.getvalue()
        assert "registry.Worker.phone: would re-encrypt 2 (old: 2)" in out.getvalue()
        assert _raw(workers[0], "id_number").startswith("old$"), "dry run must not write"

        out = io.StringIO()
        call_command("rotate_data_keys", "--batch-size", "1", stdout=out)
        assert "registry.Worker.id_number: re-encrypted 3" in out.getvalue()
        assert "registry.Worker.bank_card: re-encrypted 2" in out.getvalue()
        assert "re-encrypted 7 value(s) under key 'new'" in out.getvalue()
        for w in workers:
            assert _raw(w, "id_number").startswith("new$")
        assert _raw(workers[0], "phone").startswith("new$")
        assert _raw(workers[2], "phone") == ""
        assert dict(Worker.objects.values_list("pk", "updated_at")) == stamps

        out = io.StringIO()
        call_command("rotate_data_keys", stdout=out)
        assert "re-encrypted 0 value(s)" in out.getvalue(), "a second run has nothing to do"

    # The old key can now be retired: every value opens with the new key alone.
    with override_settings(SMZ_DATA_KEYS=f"new:{NEW_KEY}", SMZ_DATA_KEY_ID="new"):
        for w in Worker.objects.all():
            assert (w.id_number, w.phone, w.bank_card) == plain[w.pk]
        assert worker_find_by_id_number(id_card_type="01", id_number=plain[workers[1].pk][0])


@pytest.mark.django_db
def test_n2_rotation_stops_on_a_value_it_cannot_open():
    with override_settings(SMZ_DATA_KEYS=BOTH_KEYS, SMZ_DATA_KEY_ID="old"):
        _worker(20)
    with (
        override_settings(SMZ_DATA_KEYS=f"new:{NEW_KEY}", SMZ_DATA_KEY_ID="new"),
        pytest.raises(CommandError, match=r"registry\.Worker\.\w+ pk=\d+: cannot decrypt"),
    ):
        call_command("rotate_data_keys", stdout=io.StringIO())


@pytest.mark.django_db
def test_n2_blind_index_finds_a_worker_by_full_id_number():
    worker = _worker(30)
    idn = worker.id_number
    assert worker_find_by_id_number(id_card_type="01", id_number=idn) == worker
    assert worker_find_by_id_number(id_card_type="01", id_number=f" {idn.lower()} ") == worker
    assert worker.id_number_index != idn and idn not in worker.id_number_index
    other = synthetic_id_number(birth=dt.date(1980, 5, 17), seq=31, male=True)
    assert worker_find_by_id_number(id_card_type="01", id_number=other) is None
    assert worker_find_by_id_number(id_card_type="02", id_number=idn) is None


@pytest.mark.django_db
def test_n2_blind_index_depends_on_its_secret_key():
    worker = _worker(40)
    before = id_number_index("01", worker.id_number)
    with override_settings(SMZ_BLIND_INDEX_KEY="another-blind-index-key"):
        assert id_number_index("01", worker.id_number) != before
        assert worker_find_by_id_number(id_card_type="01", id_number=worker.id_number) is None
    assert id_number_index("01", worker.id_number) == before


SECRETS = ("SECRET_KEY", "SMZ_DATA_KEYS", "SMZ_BLIND_INDEX_KEY")


def _import_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {*SECRETS, "DATABASE_URL"}}
    clean |= {"SMZ_ENV": "production", "SMZ_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("missing", SECRETS)
def test_n2_production_refuses_to_start_without_a_secret(tmp_path, missing):
    given = {
        "SECRET_KEY": "prod-secret-" + "x" * 50,
        "SMZ_DATA_KEYS": f"k1:{NEW_KEY}",
        "SMZ_BLIND_INDEX_KEY": "prod-blind-index",
    }
    del given[missing]
    result = _import_settings(tmp_path, **given)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_n2_production_starts_with_all_secrets(tmp_path):
    result = _import_settings(
        tmp_path,
        SECRET_KEY="prod-secret-" + "x" * 50,
        SMZ_DATA_KEYS=f"k1:{NEW_KEY}",
        SMZ_BLIND_INDEX_KEY="prod-blind-index",
    )
    assert result.returncode == 0, result.stderr
