from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from tests.unit.redact._support import small_detector
from veil.logging import RedactingFilter
from veil.redact import Redactor

CANARIES = ("canary.q7x@example.org", "536-90-4399", "4111 1111 1111 1111")


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose only handler writes to a buffer through a RedactingFilter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("veil.tests.redacting")
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.DEBUG
    yield logger, stream
    logger.handlers = []


def _assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text


def test_canaries_in_arguments_never_reach_the_handler(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.info("user %s (ssn %s) paid with %s", *CANARIES)
    assert stream.getvalue() == (
        "INFO user <EMAIL_ADDRESS_1> (ssn <US_SSN_1>) paid with <CREDIT_CARD_1>\n"
    )


def test_canaries_in_the_message_and_mapping_arguments_are_redacted(
        logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    logger.warning(f"direct {CANARIES[0]}")
    logger.warning("mapped %(card)s", {"card": CANARIES[2]})
    _assert_no_canary(stream.getvalue())
    assert "mapped <CREDIT_CARD_1>" in stream.getvalue()


def test_tracebacks_are_redacted(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = logged
    try:
        raise ValueError(f"bad ssn {CANARIES[1]} for {CANARIES[0]}")
    except ValueError:
        logger.exception("lookup failed")
    output = stream.getvalue()
    _assert_no_canary(output)
    assert "Traceback" in output
    assert "<US_SSN_1>" in output


def test_a_bad_format_does_not_leak_its_arguments(logged: tuple[logging.Logger, io.StringIO],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    logger, stream = logged
    logger.error("two %s %s", CANARIES[0])
    _assert_no_canary(stream.getvalue() + capsys.readouterr().err)
    assert stream.getvalue() == "ERROR two %s %s\n"


def test_the_record_keeps_the_redacted_message_and_no_arguments() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "who: %s", ("Ana Lima",), None)
    assert RedactingFilter(Redactor(small_detector())).filter(record)
    assert (record.msg, record.args) == ("who: <PERSON_1>", None)
    assert record.getMessage() == "who: <PERSON_1>"


def test_a_logger_filter_redacts_records_logged_on_that_logger() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("veil.tests.logger_filter")
    logger.handlers, logger.propagate = [logging.StreamHandler(stream)], False
    logger.addFilter(RedactingFilter())
    try:
        logger.warning("to %s", CANARIES[0])
    finally:
        logger.filters, logger.handlers = [], []
    assert stream.getvalue() == "to <EMAIL_ADDRESS_1>\n"


def test_filtering_twice_changes_nothing_more() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", (CANARIES[0],), None)
    redacting = RedactingFilter()
    redacting.filter(record)
    once = record.msg
    redacting.filter(record)
    assert record.msg == once == "to <EMAIL_ADDRESS_1>"
