"""Layout detection of payload files: whole-file JSON document or array, else JSON Lines."""

from __future__ import annotations

import json

from local.payload_files import split_payloads


def test_json_lines_keep_each_line_byte_for_byte_and_number_lines_from_1() -> None:
    content = b'{"a": 1}\n\n  \n{ "b" : 2 }\r\nnot json\n'

    payloads = list(split_payloads(content))

    assert [(p.position, p.data, p.document) for p in payloads[:2]] == [
        ("line 1", b'{"a": 1}', {"a": 1}),
        ("line 4", b'{ "b" : 2 }', {"b": 2}),
    ]
    assert payloads[2].position == "line 5"
    assert not payloads[2].parsed
    assert payloads[2].problem is not None and payloads[2].problem.startswith("not valid JSON")


def test_whole_file_array_yields_each_item_as_compact_json() -> None:
    content = json.dumps([{"a": 1, "text": "café"}, [{"b": 2}]], indent=2).encode()

    payloads = list(split_payloads(content))

    assert [(p.position, p.data) for p in payloads] == [
        ("item 1", '{"a":1,"text":"café"}'.encode()),
        ("item 2", b'[{"b":2}]'),  # an inner array stays one (batch) record
    ]


def test_whole_file_object_is_one_document() -> None:
    payloads = list(split_payloads(b'{\n  "a": {\n    "b": [1, 2]\n  }\n}\n'))

    assert [(p.position, p.data, p.document) for p in payloads] == [
        ("document", b'{"a":{"b":[1,2]}}', {"a": {"b": [1, 2]}})
    ]


def test_empty_content_has_no_payloads() -> None:
    assert list(split_payloads(b"")) == []
    assert list(split_payloads(b"\n \n")) == []
