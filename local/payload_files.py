"""Reading raw platform payloads from a file (or stdin) for `floorwatch normalize`, `send` and `replay`.

Two layouts are accepted, detected per file:

- one JSON value for the whole file (pretty-printed or not): a JSON array is a list of payloads,
  each its own record ("item N", counting from 1); anything else is a single payload ("document");
- otherwise JSON Lines: one payload per line ("line N"), blank lines ignored. A line that is not
  JSON is still yielded, with the reason, so each command decides how to report it.

Consequence of the detection: a file holding a single line is one document, and a one-line JSON
array is a list of payloads, not one batch record (write such a batch as a JSONL line among others
or wrap it in an outer array).
"""

from __future__ import annotations

import codecs
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.errors import UsageError

STDIN = "-"


@dataclass(frozen=True)
class RawPayload:
    """One payload as it would travel as one Kinesis record."""

    position: str  # where it sits in its file, for messages: "line 3", "item 2" or "document"
    data: bytes  # the record's bytes: the line as-is, or the compact JSON of a whole-file document
    document: Any = None  # the parsed JSON (meaningless when ``problem`` is set)
    problem: str | None = None  # why a JSON Lines line is not usable JSON

    @property
    def parsed(self) -> bool:
        return self.problem is None


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIN else path


def read_source(path: str) -> bytes:
    """The whole file's bytes (stdin for "-"); UsageError when it cannot be read."""
    if path == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, expected a file of JSON payloads") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None


def read_payloads(path: str) -> Iterator[RawPayload]:
    """Read the file now (so a missing file fails before any output) and iterate over its payloads."""
    return split_payloads(read_source(path))


def split_payloads(content: bytes) -> Iterator[RawPayload]:
    content = content.removeprefix(codecs.BOM_UTF8)
    whole = _parse_whole(content)
    if whole is _NOT_ONE_DOCUMENT:
        return _json_lines(content)
    if isinstance(whole, list):
        return (RawPayload(f"item {n}", compact_json(item), item) for n, item in enumerate(whole, 1))
    return iter([RawPayload("document", compact_json(whole), whole)])


def compact_json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_NOT_ONE_DOCUMENT = object()


def _parse_whole(content: bytes) -> Any:
    if not content.strip():
        return _NOT_ONE_DOCUMENT
    try:
        # For a JSON Lines file this stops with "Extra data" right after the first line: cheap.
        return json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return _NOT_ONE_DOCUMENT


def _json_lines(content: bytes) -> Iterator[RawPayload]:
    for number, line in enumerate(content.split(b"\n"), 1):
        data = line.removesuffix(b"\r")
        if not data.strip():
            continue
        document, problem = parse_line(data)
        yield RawPayload(f"line {number}", data, document, problem)


def parse_line(data: bytes) -> tuple[Any, str | None]:
    """One JSON document from one line, or the reason it is not one (worded like the normalizer's)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 text (invalid byte at offset {error.start})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, f"not valid JSON: {error.msg} at column {error.colno}"
    except RecursionError:
        return None, "not valid JSON: nested too deeply"
