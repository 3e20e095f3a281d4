"""Streaming restoration against whole-text restoration: for every split of a model's answer into
deltas, the restored stream equals the restored whole, which equals the text before pseudonymization,
and no fragment of an issued tag ever reaches the client."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from veil.detect import Entity
from veil.gateway import StreamRestorer, restore_text
from veil.redact import PseudonymSession

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENTITIES = [Entity.PERSON, Entity.EMAIL_ADDRESS, Entity.CREDIT_CARD, "employee id"]
VALUES = st.one_of(
    st.sampled_from(["Ana Lima", "José Ñúñez", "李雷", "Zoë 🙂 O'Neil", "ana@example.org", "4111 1111 1111 1111",
                     "a < b", "&amp;", "\\", "<PERSON_1>"]),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="_"), min_size=1, max_size=8),
)
# Entity-like noise: unissued numbers and names, stray brackets, entities and escapes; never a trailing
# backslash (it would escape the next tag's bracket) and no letters that could spell an issued tag.
NOISE = st.lists(st.one_of(
    st.sampled_from(["if a < b:", "x<y", "<div>", "</p>", "<PERSON_77>", "<person_99 >", "&lt;EMAIL_ADDRESS_64&gt;",
                     "<LOCATION_1>", "<PERSON>", "<_1>", "<PERSON_01>", "&lt;", "&amp;", "&gt;", "&l", "\\<", "a\\_b",
                     "< ", "&", "\\n", "é", "日本", "🙂", "**", "`", "\n"]),
    st.text(alphabet="xyz019 <>&;_*`\t-", max_size=6),
), max_size=4).map("".join)
OPENERS = st.sampled_from([("<", ">"), ("\\<", "\\>"), ("&lt;", "&gt;"), ("&LT;", "&GT;"), ("\\<", ">")])
SPACES = st.text(alphabet=" \t", max_size=3)
WRAPPERS = st.sampled_from(["", "**", "`", "_", "*"])
CASES = st.sampled_from([str, str.lower, str.upper, str.swapcase])


@dataclass
class Answer:
    session: PseudonymSession
    hidden: str  # the model's answer, with tags in the variants it writes
    original: str  # the same text before pseudonymization
    value_spans: list[tuple[int, int]]  # where the originals sit in ``original``
    tags: set[str]  # the tags the session issued, as it wrote them


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    session = PseudonymSession()
    hidden, original, spans, tags = [draw(NOISE)], [], [], set()
    original.append(hidden[0])
    for _ in range(draw(st.integers(0, 6))):
        value = draw(VALUES)
        tag = session.pseudonym(draw(st.sampled_from(ENTITIES)), value)
        tags.add(tag)
        body = tag[1:-1]
        body = draw(CASES)(body.replace("_", "\\_") if draw(st.booleans()) else body)
        (opener, closer), wrapper, noise = draw(OPENERS), draw(WRAPPERS), draw(NOISE)
        hidden.append(f"{wrapper}{opener}{draw(SPACES)}{body}{draw(SPACES)}{closer}{wrapper}{noise}")
        start = sum(map(len, original)) + len(wrapper)
        spans.append((start, start + len(value)))
        original.append(f"{wrapper}{value}{wrapper}{noise}")
    return Answer(session, "".join(hidden), "".join(original), spans, tags)


def _residue(tags: set[str]) -> re.Pattern[str]:
    """Any issued tag's body, bare or escaped, in any case: what a leaked fragment would show."""
    parts = [re.escape(tag[1:-1]).replace("_", r"\\?_") for tag in sorted(tags)]
    return re.compile(rf"(?i)(?<![A-Za-z0-9_])(?:{'|'.join(parts) or '(?!)'})(?![0-9])")


def _stream(session: PseudonymSession, deltas: list[str]) -> list[str]:
    restorer = StreamRestorer(session)
    return [restorer.feed(delta) for delta in deltas] + [restorer.flush()]


def _check(answer: Answer, pieces: list[str]) -> None:
    assert "".join(pieces) == answer.original
    boundaries, offset = set(), 0
    for piece in pieces:
        offset += len(piece)
        boundaries.add(offset)
    for start, end in answer.value_spans:  # each original comes out whole, in one piece
        assert not any(start < cut < end for cut in boundaries)
    residue = _residue(answer.tags)
    assert [piece for piece in pieces if residue.search(piece)] == []


@SETTINGS
@given(answer=answers())
def test_restoring_the_whole_answer_gives_back_the_original(answer: Answer) -> None:
    assume(_residue(answer.tags).search(answer.original) is None)
    assert restore_text(answer.session, answer.hidden) == answer.original


@SETTINGS
@given(answer=answers())
def test_every_two_event_split_streams_the_original_without_leaking_a_fragment(answer: Answer) -> None:
    assume(_residue(answer.tags).search(answer.original) is None)
    for cut in range(len(answer.hidden) + 1):
        _check(answer, _stream(answer.session, [answer.hidden[:cut], answer.hidden[cut:]]))


@SETTINGS
@given(answer=answers(), data=st.data())
def test_any_multi_way_split_streams_the_original_without_leaking_a_fragment(answer: Answer,
                                                                            data: st.DataObject) -> None:
    assume(_residue(answer.tags).search(answer.original) is None)
    size = len(answer.hidden)
    cuts = sorted(data.draw(st.lists(st.integers(0, size), max_size=12)))
    deltas = [answer.hidden[a:b] for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
    _check(answer, _stream(answer.session, deltas))
    _check(answer, _stream(answer.session, list(answer.hidden)))


TAGGY_SESSION = PseudonymSession()
for _number in range(1, 13):
    TAGGY_SESSION.pseudonym(Entity.PERSON, f"person {_number}")


@SETTINGS
@given(text=st.text(alphabet="<>\\&;ltgLTG _PERSONperson0123456789\t*`xé", max_size=80), data=st.data())
def test_any_text_streams_exactly_as_it_restores_whole(text: str, data: st.DataObject) -> None:
    whole = restore_text(TAGGY_SESSION, text)
    for cut in range(len(text) + 1):
        assert "".join(_stream(TAGGY_SESSION, [text[:cut], text[cut:]])) == whole
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=10)))
    deltas = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert "".join(_stream(TAGGY_SESSION, deltas)) == whole
