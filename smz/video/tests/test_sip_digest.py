"""Digest authentication (RFC 2617 known answers, GB/T 28181's MD5 without qop) and stateless nonces."""

from __future__ import annotations

from smz.video.sip import digest


def test_v2_rfc2617_known_answer_with_qop() -> None:
    # RFC 2617 §3.5: Mufasa / "Circle Of Life".
    assert (
        digest.digest_response(
            username="Mufasa",
            realm="testrealm@host.com",
            password="Circle Of Life",
            method="GET",
            uri="/dir/index.html",
            nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
            qop="auth",
            nc="00000001",
            cnonce="0a4f113b",
        )
        == "6629fae49393a05397450978507c4ef1"
    )


def test_v2_rfc2069_form_without_qop() -> None:
    # HA1 = MD5(user:realm:pass), HA2 = MD5(method:uri), response = MD5(HA1:nonce:HA2): computed by hand.
    ha1 = digest.md5("44200000001327000001:4420000000:12345678")
    ha2 = digest.md5("REGISTER:sip:44200000002000000001@4420000000")
    expected = digest.md5(f"{ha1}:abc:{ha2}")
    creds = digest.parse_credentials(
        digest.authorization(
            username="44200000001327000001",
            realm="4420000000",
            password="12345678",
            method="REGISTER",
            uri="sip:44200000002000000001@4420000000",
            nonce="abc",
        )
    )
    assert creds is not None and creds["response"] == expected
    assert digest.verify(creds, method="REGISTER", password="12345678", realm="4420000000")
    assert not digest.verify(creds, method="REGISTER", password="12345679", realm="4420000000")
    assert not digest.verify(
        {**creds, "algorithm": "SHA-256"},
        method="REGISTER",
        password="12345678",
        realm="4420000000",
    )


def test_v2_qop_auth_is_verified() -> None:
    creds = digest.parse_credentials(
        digest.authorization(
            username="u",
            realm="r",
            password="p",
            method="REGISTER",
            uri="sip:x@r",
            nonce="n",
            qop="auth",
            cnonce="c0ffee",
        )
    )
    assert creds is not None and creds["qop"] == "auth" and creds["nc"] == "00000001"
    assert digest.verify(creds, method="REGISTER", password="p", realm="r")
    assert not digest.verify(
        {**creds, "nc": "00000002"}, method="REGISTER", password="p", realm="r"
    )


def test_v2_nonces_expire_and_cannot_be_forged() -> None:
    key = b"k" * 32
    nonce = digest.nonce_new(key, "4420000000", now=1_000_000)
    assert digest.nonce_check(key, "4420000000", nonce, now=1_000_010) == "ok"
    assert digest.nonce_check(key, "4420000000", nonce, now=1_000_000 + 301) == "stale"
    assert digest.nonce_check(b"x" * 32, "4420000000", nonce, now=1_000_010) == "bad"
    assert digest.nonce_check(key, "other", nonce, now=1_000_010) == "bad"
    issued, _, mac = nonce.partition(":")
    assert (
        digest.nonce_check(key, "4420000000", f"{int(issued) + 100}:{mac}", now=1_000_010) == "bad"
    )
    assert digest.nonce_check(key, "4420000000", "garbage", now=1_000_010) == "bad"


def test_v2_credentials_parsing_refuses_odd_headers() -> None:
    assert digest.parse_credentials(None) is None
    assert digest.parse_credentials("Basic dXNlcjpwYXNz") is None
    assert digest.parse_credentials('Digest username="a", ==broken') is None
    assert digest.parse_credentials("Digest " + "a=b," * 1000) is None
    parsed = digest.parse_credentials('Digest username="a\\"b", nc=00000001')
    assert parsed == {"username": 'a"b', "nc": "00000001"}
