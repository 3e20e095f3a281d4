r"""Put a session's originals back into a model's answer, whole or streamed in deltas.

Models echo tags loosely: any case, spaces inside the brackets, markdown-escaped
(``\<PERSON\_1\>``) or HTML-escaped (``&lt;PERSON_1&gt;``). ``restore_text`` accepts
all of these and leaves any surrounding markdown as it is. ``StreamRestorer`` gives
the same result for every split of the answer into deltas, holding back only a
suffix that could still become a tag.

A request with ``n > 1`` streams several choices at once: keep one ``StreamRestorer``
per choice index, never one shared across choices.
"""

from __future__ import annotations

import re

from veil.redact import PseudonymSession

_MAX_BODY = 64  # ENTITY_NUMBER units; bounds how long a stray "<" can hold the stream back
_SPACES = r"[ \t]{0,3}"
# Explicit ASCII classes, not IGNORECASE: that flag lets "ſ" and "K" (Kelvin) pass for letters.
_BODY = rf"(?:[A-Za-z0-9_]|\\_){{1,{_MAX_BODY}}}"
_OPEN = r"(?:<|\\<|&[lL][tT];)"
_CLOSE = r"(?:>|\\>|&[gG][tT];)"

#: One tag in any variant; group 1 is the body, possibly with markdown-escaped underscores.
_TAG = re.compile(rf"{_OPEN}{_SPACES}({_BODY}){_SPACES}{_CLOSE}")

#: The end of a text that more text could still turn into a ``_TAG`` (never a complete one).
_OPEN_TAIL = re.compile(
    r"(?:\\|&(?:[lL][tT]?)?)\Z"
    rf"|{_OPEN}{_SPACES}(?:{_BODY}{_SPACES}(?:\\|&(?:[gG][tT]?)?)?)?\Z"
)

#: The longest ``_TAG`` match: no open tail is longer, so only this much of the end is searched.
_MAX_TAG_LENGTH = len("&lt;") + 3 + 2 * _MAX_BODY + 3 + len("&gt;")


def restore_text(session: PseudonymSession, text: str) -> str:
    """``text`` with every tag ``session`` issued, in any variant, replaced by its original."""
    if len(session) == 0:
        return text
    return _TAG.sub(lambda match: _restored(session, match), text)


def _restored(session: PseudonymSession, match: re.Match[str]) -> str:
    original = session.original("<" + match.group(1).replace("\\", "") + ">")
    return match.group(0) if original is None else original


class StreamRestorer:
    """Restores tags across the text deltas of one streamed choice.

    ``feed`` returns what is safe to emit now and ``flush`` the rest at the end of
    the stream; their concatenation equals ``restore_text(session, whole)`` however
    the answer was split. Only a possible tag start at the end is held, at most
    ``_MAX_TAG_LENGTH`` characters, so each delta costs O(len(delta) + held).
    """

    __slots__ = ("_held", "_session")

    def __init__(self, session: PseudonymSession) -> None:
        self._session = session
        self._held = ""

    def __repr__(self) -> str:
        return f"StreamRestorer(held={len(self._held)})"  # a length only: the held text may be a tag

    def feed(self, delta: str) -> str:
        """The restored text that can be emitted now, holding back an unfinished tag."""
        text = self._held + delta
        tail = _OPEN_TAIL.search(text, max(0, len(text) - _MAX_TAG_LENGTH))
        cut = len(text) if tail is None else tail.start()
        self._held = text[cut:]
        return restore_text(self._session, text[:cut])

    def flush(self) -> str:
        """Everything still held, restored: call once when the stream ends."""
        text, self._held = self._held, ""
        return restore_text(self._session, text)
