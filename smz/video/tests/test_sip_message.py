"""SIP and MANSCDP parsing (V2): messages as cameras send them (Hikvision / Dahua style, GB2312 bodies with
Chinese names), the serializer, and every malformed input refused with its status (never another exception)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smz.video.sip import manscdp
from smz.video.sip.message import (
    MAX_MESSAGE,
    SipError,
    can_answer,
    param,
    parse,
    response,
    uri_user,
)

HIK_REGISTER = (
    b"REGISTER sip:44200000002000000001@4420000000 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1371463273\r\n"
    b"From: <sip:44200000001327000001@4420000000>;tag=2043466181\r\n"
    b"To: <sip:44200000001327000001@4420000000>\r\n"
    b"Call-ID: 1011047669\r\n"
    b"CSeq: 1 REGISTER\r\n"
    b"Contact: <sip:44200000001327000001@192.168.1.64:5060>\r\n"
    b"Max-Forwards: 70\r\n"
    b"User-Agent: IP Camera\r\n"
    b"Expires: 3600\r\n"
    b"Content-Length: 0\r\n\r\n"
)

DAHUA_REGISTER = (
    b"REGISTER sip:44200000002000000001@4420000000 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.108:5060;branch=z9hG4bK-524287-1---5b8a0fc9b6c7a1f5;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"Contact: <sip:44200000001181000002@10.0.0.108:5060>\r\n"
    b"To: <sip:44200000001181000002@4420000000>\r\n"
    b"From: <sip:44200000001181000002@4420000000>;tag=a0ffcd25\r\n"
    b"Call-ID: 8fcdbf3e9cd5b26b0e5b4e0c5c63a2f7\r\n"
    b"CSeq: 2 REGISTER\r\n"
    b"Expires: 3600\r\n"
    b'Authorization: Digest username="44200000001181000002",realm="4420000000",'
    b'nonce="1764900000:0123456789abcdef0123456789abcdef",uri="sip:44200000002000000001@4420000000",'
    b'response="6f3e4f2a1b2c3d4e5f60718293a4b5c6",algorithm=MD5\r\n'
    b"User-Agent: NVR\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def message(body: bytes, *, cseq: int = 20, length: int | None = None) -> bytes:
    head = (
        "MESSAGE sip:44200000002000000001@4420000000 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK846531\r\n"
        "From: <sip:44200000001327000001@4420000000>;tag=1519435540\r\n"
        "To: <sip:44200000002000000001@4420000000>\r\n"
        "Call-ID: 1369587364\r\n"
        f"CSeq: {cseq} MESSAGE\r\n"
        "Content-Type: Application/MANSCDP+xml\r\n"
        "Max-Forwards: 70\r\n"
        "User-Agent: IP Camera\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


KEEPALIVE = (
    b'<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n'
    b"<SN>43</SN>\r\n<DeviceID>44200000001327000001</DeviceID>\r\n<Status>OK</Status>\r\n"
    b"<Info>\r\n</Info>\r\n</Notify>\r\n"
)

CATALOG_GB2312 = (
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n'
    "<SN>7</SN>\r\n<DeviceID>44200000001181000002</DeviceID>\r\n<SumNum>3</SumNum>\r\n"
    '<DeviceList Num="2">\r\n'
    "<Item>\r\n<DeviceID>44200000001311000003</DeviceID>\r\n<Name>东门人行通道</Name>\r\n"
    "<Manufacturer>Dahua</Manufacturer>\r\n<Model>IPC-HFW2433M</Model>\r\n<Owner>0</Owner>\r\n"
    "<CivilCode>442000</CivilCode>\r\n<Address>东门</Address>\r\n<Parental>0</Parental>\r\n"
    "<ParentID>44200000001181000002</ParentID>\r\n<SafetyWay>0</SafetyWay>\r\n"
    "<RegisterWay>1</RegisterWay>\r\n<Secrecy>0</Secrecy>\r\n<Status>ON</Status>\r\n</Item>\r\n"
    "<Item>\r\n<DeviceID>44200000001311000004</DeviceID>\r\n<Name>西门（备用）</Name>\r\n"
    "<ParentID>44200000001181000002</ParentID>\r\n<Status>OFF</Status>\r\n</Item>\r\n"
    "</DeviceList>\r\n</Response>\r\n"
).encode("gb2312")


def test_v2_hikvision_register() -> None:
    msg = parse(HIK_REGISTER)
    assert (msg.method, msg.uri) == ("REGISTER", "sip:44200000002000000001@4420000000")
    assert uri_user(msg.header("To")) == "44200000001327000001"
    assert param(msg.header("From"), "tag") == "2043466181"
    assert msg.header("expires") == "3600" and msg.cseq() == (1, "REGISTER")
    assert msg.body == b""


def test_v2_dahua_register_with_credentials() -> None:
    from smz.video.sip.digest import parse_credentials

    msg = parse(DAHUA_REGISTER)
    creds = parse_credentials(msg.header("Authorization"))
    assert creds is not None
    assert creds["username"] == "44200000001181000002" and creds["realm"] == "4420000000"
    assert creds["uri"] == "sip:44200000002000000001@4420000000" and creds["algorithm"] == "MD5"


def test_v2_response_copies_the_transaction_and_tags_to() -> None:
    req = parse(HIK_REGISTER)
    out = parse(response(req, 200, headers=[("Expires", "3600")], to_tag="abc").to_bytes())
    assert out.status == 200 and out.reason == "OK"
    assert out.header("Via") == req.header("Via") and out.header("Call-ID") == "1011047669"
    assert param(out.header("To"), "tag") == "abc" and out.header("CSeq") == "1 REGISTER"


def test_v2_keepalive_gb2312() -> None:
    msg = parse(message(KEEPALIVE))
    doc = manscdp.parse(msg.body)
    assert (doc.kind, doc.cmd_type, doc.sn, doc.device_id) == (
        "Notify",
        "Keepalive",
        "43",
        "44200000001327000001",
    )
    assert doc.fields["Status"] == "OK"


def test_v2_catalog_gb2312_with_chinese_names() -> None:
    doc = manscdp.parse(parse(message(CATALOG_GB2312)).body)
    assert doc.sum_num == 3 and len(doc.items) == 2
    assert doc.items[0]["Name"] == "东门人行通道" and doc.items[1]["Name"] == "西门（备用）"
    assert [i["Status"] for i in doc.items] == ["ON", "OFF"]


def test_v2_utf8_and_mislabelled_bodies() -> None:
    utf8 = CATALOG_GB2312.decode("gb2312").replace("GB2312", "UTF-8").encode()
    assert manscdp.parse(utf8).items[0]["Name"] == "东门人行通道"
    # Declared GB2312, sent as UTF-8 (some firmwares): the bytes are not GB18030, UTF-8 reads them.
    mislabelled = CATALOG_GB2312.decode("gb2312").encode("utf-8")
    assert manscdp.parse(mislabelled).items[1]["Name"] == "西门（备用）"


def test_v2_written_bodies_read_back() -> None:
    items = [{"DeviceID": "44200000001311000003", "Name": "东门<通道>&1", "Status": "ON"}]
    doc = manscdp.parse(manscdp.catalog_response("9", "44200000001181000002", 1, items))
    assert doc.items == items
    doc = manscdp.parse(manscdp.query("DeviceInfo", 5, "44200000001327000001"))
    assert (doc.kind, doc.cmd_type, doc.sn) == ("Query", "DeviceInfo", "5")


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<Notify><CmdType>&lol2;</CmdType></Notify>",
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><Notify/>',
        b"<Notify><CmdType>Keepalive</CmdType>",  # not well-formed
        b'<?xml version="1.0" encoding="EBCDIC"?><Notify/>',
        b"<html><body>hi</body></html>",
        b"\xff\xfe\x00<\x00N",  # neither UTF-8 nor GB18030 as a whole
        b"<Notify>" + b"<a/>" * 6000 + b"</Notify>",
        b"<Notify><CmdType>" + b"x" * 300 + b"</CmdType></Notify>",
    ],
)
def test_v2_bad_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(manscdp.ManscdpError):
        manscdp.parse(body)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"hello\r\n\r\n", 400),
        (b"\xff\xfe\xfd\r\n\r\n", 400),  # not UTF-8
        (HIK_REGISTER.replace(b"Call-ID: 1011047669\r\n", b""), 400),  # a required header missing
        (HIK_REGISTER.replace(b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE"), 400),
        (HIK_REGISTER.replace(b"CSeq: 1 REGISTER", b"CSeq: x REGISTER"), 400),
        (HIK_REGISTER.replace(b"Content-Length: 0", b"Content-Length: -1"), 400),
        (HIK_REGISTER.replace(b"Content-Length: 0", b"Content-Length: 10"), 400),  # body shorter
        (HIK_REGISTER.replace(b"Content-Length: 0", b"Content-Length: 99999999"), 413),
        (HIK_REGISTER.replace(b"User-Agent: IP Camera", b"User-Agent: a\x00b"), 400),
        (HIK_REGISTER.replace(b"Max-Forwards: 70", b"no colon here"), 400),
        (HIK_REGISTER.replace(b"sip:44200000002000000001@4420000000 SIP", b"http://x SIP"), 400),
        (HIK_REGISTER.replace(b"Max-Forwards: 70\r\n", b"X-A: 1\r\n" * 70), 413),
        (b"REGISTER sip:x SIP/2.0\r\n" + b"X: " + b"a" * 9000 + b"\r\n\r\n", 413),
        (message(b"x" * (MAX_MESSAGE + 1)), 413),
        (HIK_REGISTER[:-4], 400),  # no end of headers
    ],
)
def test_v2_malformed_messages_name_their_status(data: bytes, status: int) -> None:
    with pytest.raises(SipError) as exc:
        parse(data)
    assert exc.value.status == status
    assert exc.value.code.startswith("video.sip_")


def test_v2_an_oversized_message_can_still_be_answered() -> None:
    with pytest.raises(SipError) as exc:
        parse(message(b"x" * (MAX_MESSAGE + 1)))
    assert exc.value.status == 413 and can_answer(exc.value.message)


def test_v2_tcp_needs_content_length_and_udp_trims_to_it() -> None:
    no_length = HIK_REGISTER.replace(b"Content-Length: 0\r\n", b"")
    with pytest.raises(SipError):
        parse(no_length, stream=True)
    assert parse(no_length).body == b""
    assert parse(message(KEEPALIVE, length=10) + b"").body == KEEPALIVE[:10]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_v2_random_bytes_raise_only_sip_errors(data: bytes) -> None:
    with contextlib.suppress(SipError):
        parse(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1024))
def test_v2_random_bodies_raise_only_manscdp_errors(data: bytes) -> None:
    with contextlib.suppress(manscdp.ManscdpError):
        manscdp.parse(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*HIK_REGISTER.split(b"\r\n"), b"", b":", b"\t x", b"CSeq: 1"]),
        max_size=20,
    )
)
def test_v2_shuffled_header_lines_raise_only_sip_errors(lines: list[bytes]) -> None:
    with contextlib.suppress(SipError):
        parse(b"\r\n".join(lines) + b"\r\n\r\n")
