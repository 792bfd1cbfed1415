"""Issue 10 item 6 (N2): personal numbers never reach a log line, whoever writes it."""

from __future__ import annotations

import datetime as dt
import io
import logging

from smz.core.logredact import PersonalNumberFilter, redact
from smz.registry.synthetic import synthetic_id_number

ID_NUMBER = synthetic_id_number(birth=dt.date(1985, 3, 9), seq=7, male=True)
PHONE = "13912345678"
CARD = "6222020200112233445"


def test_issue10_item6_redact_masks_numbers_and_query_values():
    line = f'"GET /workers/?id_number={ID_NUMBER}&status=active HTTP/1.1" 400 /x?phone={PHONE}'
    out = redact(line)
    assert (
        ID_NUMBER not in out
        and PHONE not in out
        and "id_number=***" in out
        and "status=active" in out
    )
    out = redact(f"worker {ID_NUMBER} card {CARD} phone {PHONE} id 42 at 20261205004512")
    assert ID_NUMBER not in out and CARD not in out and PHONE not in out
    assert "id 42" in out and "20261205004512" in out  # ids and device stamps stay
    assert redact(f"x{ID_NUMBER[:-1]}X")  # no crash on letters around


def test_issue10_item6_the_configured_console_handler_redacts_messages_and_tracebacks():
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert handlers and any(isinstance(f, PersonalNumberFilter) for f in handlers[0].filters)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalNumberFilter())
    log = logging.getLogger("smz.test.redact")
    log.addHandler(handler)
    try:
        log.warning("lookup %s failed", ID_NUMBER)
        try:
            raise ValueError(f"bad card {CARD}")
        except ValueError:
            log.exception("phone %s", PHONE)
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "lookup" in text and "bad card" in text
    assert ID_NUMBER not in text and CARD not in text and PHONE not in text
