"""``veil redact``: text streamed in pieces of lines, JSON, JSONL, CSV and Parquet walked by field."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from veil.cli import _options as opt
from veil.cli._app import command
from veil.cli._io import (
    BinaryInput,
    Source,
    UsageProblem,
    iter_chunks,
    open_output,
    open_text,
    progress,
    sources,
)
from veil.detect import DEFAULT_THRESHOLD
from veil.errors import InvalidInput
from veil.redact import (
    Drop,
    Fake,
    Generalize,
    Hash,
    Mask,
    Operator,
    PseudonymSession,
    Redactor,
    Tag,
    redact_csv,
    redact_json,
    redact_jsonl,
    redact_parquet,
)


class OperatorName(StrEnum):
    tag = "tag"
    mask = "mask"
    hash = "hash"
    fake = "fake"
    generalize = "generalize"
    drop = "drop"


class InputFormat(StrEnum):
    auto = "auto"
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


_BY_SUFFIX = {".json": InputFormat.json, ".jsonl": InputFormat.jsonl, ".ndjson": InputFormat.jsonl,
              ".csv": InputFormat.csv, ".parquet": InputFormat.parquet}
_SIMPLE: dict[OperatorName, Callable[[], Operator]] = {
    OperatorName.tag: Tag, OperatorName.mask: Mask, OperatorName.fake: Fake,
    OperatorName.generalize: Generalize, OperatorName.drop: Drop,
}


@command("redact")
def redact_command(
    path: Annotated[str, typer.Argument(
        metavar="[PATH]", help="File to redact; '-' (default) reads stdin.")] = "-",
    output: opt.Output = None,
    operator: Annotated[OperatorName, typer.Option(
        "--operator", help="What replaces each finding: a tag, a mask, a keyed hash, a fake value, "
        "a generalization (date to year, IP to network), or nothing.")] = OperatorName.tag,
    key_env: Annotated[str | None, typer.Option(
        "--key-env", metavar="VAR",
        help="Environment variable that holds the key for --operator hash.")] = None,
    form: Annotated[InputFormat, typer.Option(
        "--format",
        help="Input format; auto picks it from the file extension (text otherwise).")] = InputFormat.auto,
    fields: Annotated[str | None, typer.Option(
        "--fields", metavar="NAMES", help="Comma-separated JSON paths (user.email, messages[*].content), "
        "JSONL fields or CSV/Parquet columns to redact (default: every string).")] = None,
    entities: opt.Entities = None,
    threshold: opt.Threshold = DEFAULT_THRESHOLD,
    ner: opt.Ner = False,
    recognizers: opt.Recognizers = None,
    errors: opt.ErrorsOption = opt.Errors.STRICT,
) -> None:
    """Replace personal data and secrets; the redacted copy goes to stdout or -o FILE."""
    (source,) = sources([path])
    kind = _format_of(form, source, fields, output)
    default = _operator(operator, key_env)
    detector = opt.build_detector(entities, threshold, ner, recognizers, None)
    # A text file is one document cut into pieces: one session keeps its tags numbered as one.
    session = PseudonymSession() if kind is InputFormat.text else None
    redactor = Redactor(detector=detector, default=default, session=session)
    try:
        _WRITERS[kind](source, redactor, opt.split_list(fields), output, errors)
    except BinaryInput as skipped:
        typer.echo(f"skipped {skipped}", err=True)
        raise typer.Exit(1) from None


def _format_of(form: InputFormat, source: Source, fields: str | None, output: str | None) -> InputFormat:
    kind = _BY_SUFFIX.get(source.suffix, InputFormat.text) if form is InputFormat.auto else form
    if kind is InputFormat.text and fields is not None:
        raise UsageProblem("--fields applies to json, jsonl, csv and parquet input")
    if kind is InputFormat.parquet and (source.path is None or output in (None, "-")):
        raise UsageProblem("parquet needs a file path in and -o FILE out")
    writes_file = output is not None and output != "-"
    if writes_file and source.path is not None and Path(str(output)).resolve() == source.path.resolve():
        raise UsageProblem(f"{output}: the output would overwrite the input")
    return kind


def _operator(name: OperatorName, key_env: str | None) -> Operator:
    if name is not OperatorName.hash:
        if key_env is not None:
            raise UsageProblem("--key-env is only used with --operator hash")
        return _SIMPLE[name]()
    if key_env is None:
        raise UsageProblem("--operator hash needs --key-env VAR naming an environment variable with the key")
    key = os.environ.get(key_env, "")  # the adapter's one read of the environment, named by the user
    if not key:
        raise UsageProblem(f"environment variable {key_env} is not set or empty")
    return Hash(key.encode("utf-8"))


def _write_text(source: Source, redactor: Redactor, fields: list[str] | None, output: str | None,
                errors: str) -> None:
    with open_text(source, errors) as text, open_output(output) as out, \
            progress(text, f"redact {source.name}") as advance:
        for chunk in iter_chunks(text.text):
            out.write(redactor.redact(chunk))
            advance()


def _write_json(source: Source, redactor: Redactor, fields: list[str] | None, output: str | None,
                errors: str) -> None:
    with open_text(source, errors) as text:
        document = text.text.read()
    if not document.strip():
        return
    try:
        value = json.loads(document)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{source.name}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise InvalidInput(f"{source.name}: JSON nested too deeply") from None
    redacted = redact_json(value, redactor=redactor, paths=fields)
    with open_output(output) as out:
        json.dump(redacted, out, ensure_ascii=False, indent=2)
        out.write("\n")


def _write_jsonl(source: Source, redactor: Redactor, fields: list[str] | None, output: str | None,
                 errors: str) -> None:
    with open_text(source, errors) as text, open_output(output) as out:
        redact_jsonl(text.text, out, redactor=redactor, fields=fields)


def _write_csv(source: Source, redactor: Redactor, fields: list[str] | None, output: str | None,
               errors: str) -> None:
    with open_text(source, errors) as text, open_output(output) as out:
        redact_csv(text.text, out, redactor=redactor, columns=fields)


def _write_parquet(source: Source, redactor: Redactor, fields: list[str] | None, output: str | None,
                   errors: str) -> None:
    assert source.path is not None
    assert output is not None
    redact_parquet(source.path, output, redactor=redactor, columns=fields)


_WRITERS = {InputFormat.text: _write_text, InputFormat.json: _write_json, InputFormat.jsonl: _write_jsonl,
            InputFormat.csv: _write_csv, InputFormat.parquet: _write_parquet}
