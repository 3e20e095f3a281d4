"""``RedactingFilter``: personal data and secrets never reach a log handler.

Attach it to the handlers (a logger's own filters do not see records that
propagate from its children)::

    handler.addFilter(RedactingFilter())
"""

from __future__ import annotations

import logging

from veil.redact import Redactor, default_redactor


class RedactingFilter(logging.Filter):
    """Formats each record's message with its arguments, redacts it, and drops the arguments.

    The formatted traceback and stack are redacted too. A message whose arguments do
    not fit its format is logged as the redacted format string alone, so the
    arguments never reach logging's own error report.
    """

    def __init__(self, redactor: Redactor | None = None, name: str = "") -> None:
        super().__init__(name)
        self._redactor = redactor

    @property
    def redactor(self) -> Redactor:
        return self._redactor if self._redactor is not None else default_redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        if not super().filter(record):
            return False
        try:
            message = record.getMessage()
        except Exception:  # a bad format must not leak its arguments to logging's error report
            message = str(record.msg)
        record.msg = self.redactor.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor.redact(record.stack_info)
        return True
