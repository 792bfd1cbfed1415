"""Issue 10 item 10: per-address login lockout, code-request caps, trusted proxies."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings

from conftest import PASSWORD

LOGIN = "/login/"


def _login(username: str, password: str, *, address: str = "203.0.113.7") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    return client, client.post(LOGIN, {"username": username, "password": password})


@override_settings(SMZ_LOGIN_ADDRESS_FAILURE_LIMIT=6)
def test_issue10_item10_spraying_many_usernames_locks_the_address(world):
    # Two tries each at six usernames: no username reaches its own limit of 5, the address reaches 6.
    for n in range(6):
        _login(f"nobody{n}", "wrong-password")
    client, response = _login("gc_labor", PASSWORD)
    assert SESSION_KEY not in client.session, "a sprayed address must be locked"
    assert response.status_code in {403, 429}
    assert "锁定" in response.content.decode()
    other, _ = _login("gc_labor", PASSWORD, address="198.51.100.9")
    assert SESSION_KEY in other.session, "another address is not locked, nor is the account"


@override_settings(SMZ_LOGIN_ADDRESS_FAILURE_LIMIT=6)
def test_issue10_item10_a_few_failures_from_a_shared_address_do_not_lock_it(world):
    for n in range(5):
        _login(f"typo{n}", "wrong-password")
    client, _ = _login("gc_labor", PASSWORD)
    assert SESSION_KEY in client.session


def _whoami(client: Client, **headers) -> tuple[str, str]:
    request = client.get("/login/", headers=headers).wsgi_request
    return request.META["REMOTE_ADDR"], request.scheme


@override_settings(TRUSTED_PROXIES=[], SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_issue10_item10_forwarding_headers_from_an_untrusted_address_are_ignored(db):
    client = Client(REMOTE_ADDR="203.0.113.7")
    address, scheme = _whoami(
        client, x_forwarded_for="10.9.9.9", x_forwarded_proto="https", x_real_ip="10.9.9.8"
    )
    assert (address, scheme) == ("203.0.113.7", "http")


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24", "192.0.2.1"])
def test_issue10_item10_forwarding_headers_from_a_trusted_proxy_are_honoured(db):
    client = Client(REMOTE_ADDR="10.0.0.5")
    # The client may write anything left of the proxies' own entries; the right-most untrusted hop counts.
    address, scheme = _whoami(
        client, x_forwarded_for="6.6.6.6, 198.51.100.4, 192.0.2.1", x_forwarded_proto="https"
    )
    assert (address, scheme) == ("198.51.100.4", "https")
    untrusted = Client(REMOTE_ADDR="10.0.1.5")
    assert _whoami(untrusted, x_forwarded_for="6.6.6.6", x_forwarded_proto="https") == (
        "10.0.1.5",
        "http",
    )


@pytest.mark.parametrize("bad", ["not-an-ip", ""])
@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_issue10_item10_a_garbled_forwarded_for_keeps_the_proxy_address(db, bad):
    client = Client(REMOTE_ADDR="10.0.0.5")
    assert _whoami(client, x_forwarded_for=bad)[0] == "10.0.0.5"


def test_issue10_item10_deploy_check_warns_when_no_proxy_is_trusted_but_https_is_forced():
    from smz.accounts.checks import trusted_proxies_check

    with override_settings(SECURE_SSL_REDIRECT=True, TRUSTED_PROXIES=[]):
        assert [m.id for m in trusted_proxies_check(None)] == ["smz.accounts.W003"]
    with override_settings(SECURE_SSL_REDIRECT=True, TRUSTED_PROXIES=["10.0.0.1", "bad/99"]):
        assert [m.id for m in trusted_proxies_check(None)] == ["smz.accounts.W002"]
    with override_settings(SECURE_SSL_REDIRECT=True, TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert trusted_proxies_check(None) == []
