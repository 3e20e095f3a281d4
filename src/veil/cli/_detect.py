"""``veil detect``: findings in files, stdin, or a JSONL batch of records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Annotated, TextIO

import typer

from veil.cli import _options as opt
from veil.cli._app import EXIT_FAILURE, EXIT_OK, command
from veil.cli._io import (
    BinaryInput,
    Source,
    UsageProblem,
    existing_file,
    iter_chunks,
    open_output,
    open_text,
    progress,
    sources,
)
from veil.cli._render import FindingWriter, Format, chosen_format, finding_row
from veil.detect import DEFAULT_THRESHOLD, Detector, Finding
from veil.errors import InvalidInput

BATCH_SIZE = 64


@command("detect")
def detect_command(
    paths: Annotated[list[str] | None, typer.Argument(
        metavar="PATHS", help="Files to scan; none or '-' reads stdin.", show_default=False)] = None,
    form: Annotated[Format | None, typer.Option(
        "--format", help="Output: table (default at a terminal), json, or jsonl (default otherwise).",
        show_default=False)] = None,
    entities: opt.Entities = None,
    threshold: opt.Threshold = DEFAULT_THRESHOLD,
    ner: opt.Ner = False,
    recognizers: opt.Recognizers = None,
    allow: opt.Allow = None,
    show_values: Annotated[bool, typer.Option(
        "--show-values", help="Include the matched values in the output (they are personal data).")] = False,
    batch: Annotated[str | None, typer.Option(
        "--batch", metavar="FILE", help='JSONL records in; one {"id", "pred"} line out per record.')] = None,
    text_field: Annotated[str, typer.Option(
        "--text-field", metavar="FIELD", help="With --batch: the field to scan.")] = "text",
    id_field: Annotated[str, typer.Option(
        "--id-field", metavar="FIELD", help="With --batch: the field that names a record.")] = "id",
    output: opt.Output = None,
    errors: opt.ErrorsOption = opt.Errors.STRICT,
) -> None:
    """Find personal data and secrets. Exit status 1 when anything is found, 0 when nothing is."""
    if batch is not None and paths:
        raise UsageProblem("--batch reads one JSONL file: give no PATHS with it")
    inputs = [Source(existing_file(batch, "file"))] if batch is not None else sources(paths)
    detector = opt.build_detector(entities, threshold, ner, recognizers, allow)
    with open_output(output) as stream:
        if batch is not None:
            found = _detect_batch(inputs[0], detector, (text_field, id_field), stream, show_values, errors)
        else:
            writer = FindingWriter(chosen_format(form, output), stream)
            found = _detect_sources(inputs, detector, writer, show_values, errors)
    raise typer.Exit(EXIT_FAILURE if found else EXIT_OK)


def _detect_sources(inputs: list[Source], detector: Detector, writer: FindingWriter, show_values: bool,
                    errors: str) -> bool:
    """Each input in bounded pieces; True when something was found or every input was skipped."""
    done = 0
    for source in inputs:
        try:
            _detect_one(source, detector, writer, show_values, errors)
            done += 1
        except BinaryInput as skipped:
            typer.echo(f"skipped {skipped}", err=True)
    writer.close()
    return writer.count > 0 or not done


def _detect_one(source: Source, detector: Detector, writer: FindingWriter, show_values: bool,
                errors: str) -> None:
    with open_text(source, errors) as text, progress(text, f"detect {source.name}") as advance:
        offset = 0
        for chunk in iter_chunks(text.text):
            for finding in detector.detect(chunk):
                value = chunk[finding.start:finding.end] if show_values else None
                writer.add(finding_row(source.name, finding, offset, value))
            offset += len(chunk)
            advance()


def _detect_batch(source: Source, detector: Detector, fields: tuple[str, str], stream: TextIO,
                  show_values: bool, errors: str) -> bool:
    """Writes ``{"id": ..., "pred": [...]}`` per record; True when any record had a finding."""
    found = False
    with open_text(source, errors) as text:
        records = _records(text.text, source.name, fields)
        while batch := list(islice(records, BATCH_SIZE)):
            results = detector.detect_many([body for _, body in batch], batch_size=BATCH_SIZE)
            for (record_id, body), findings in zip(batch, results, strict=True):
                found = found or bool(findings)
                pred = [_prediction(f, body, show_values) for f in findings]
                stream.write(json.dumps({"id": record_id, "pred": pred}, ensure_ascii=False) + "\n")
    return found


def _prediction(finding: Finding, body: str, show_values: bool) -> dict[str, object]:
    pred: dict[str, object] = {"start": finding.start, "end": finding.end, "label": str(finding.entity),
                               "score": round(finding.score, 4)}
    if show_values:
        pred["value"] = body[finding.start:finding.end]
    return pred


def _records(text: TextIO, name: str, fields: tuple[str, str]) -> Iterator[tuple[object, str]]:
    """``(id, text)`` of each JSONL record; errors name the line and field, never the content."""
    text_field, id_field = fields
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise InvalidInput(f"{name}: line {number} is not valid JSON") from None
        if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
            raise InvalidInput(f"{name}: line {number} has no string field {text_field!r}")
        yield record.get(id_field), record[text_field]

