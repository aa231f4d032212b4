"""Where `floorwatch rules report` reads the audit log and the alert history from: files or tables.

**Files** (exported or recorded), JSON Lines or one JSON document, detected per file:

- audit log: one entry per record, either as plain fields (``actor``, ``action``, ``at``,
  ``alert_id``, ``role``, ``connection_id``, ``details``, ``entry_id``) or as a stored DynamoDB item
  (typed attributes, ``details`` a JSON string); ``aws dynamodb scan`` output (``{"Items": [...]}``)
  works as it is;
- alert history: transitions as ``floorwatch replay`` prints them (``Transition.to_dict()``), or the
  alerts table's items (state items are skipped), or ``aws dynamodb scan`` output.

**Tables** (the local runtime's on its moto server, or a deployed stage's): paginated ``Scan``\\s of the
audit and alerts tables, filtered to the window by sort key / time on the server; read-only. Progress
goes to stderr, one line per page read.

Anything unusable is a ``UsageError`` (exit 2) naming the file and the record.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from floorwatch.alerts.model import Transition
from floorwatch.events.normalize import normalize_document
from floorwatch.metrics.fold import fold
from floorwatch.names import ALERTS_TABLE, AUDIT_TABLE, METRICS_TABLE, ResourceNames
from floorwatch.store.alerts_dynamodb import transition_from_item
from floorwatch.store.audit_dynamodb import entry_from_item
from floorwatch.store.audit_port import AuditEntry, new_entry_id
from floorwatch.store.metrics_memory import InMemoryMetricStore
from floorwatch.timefmt import iso_seconds
from pydantic import ValidationError

from local.aws_clients import aws_client, aws_usage_errors
from local.errors import UsageError
from local.payload_files import RawPayload, display_name, read_payloads

EVENTS_RETENTION = timedelta(days=3660)
EVENTS_PARTITION = "report"
FOLD_BATCH = 500
_TYPE_TAGS = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})

Progress = Callable[[str], None]


def to_stderr(stream: TextIO | None = None) -> Progress:
    def report(line: str) -> None:
        print(line, file=stream or sys.stderr, flush=True)

    return report


@dataclass(frozen=True)
class History:
    audit: list[AuditEntry]
    transitions: list[Transition]
    where: str  # for the report's header: the files or the tables read

    def newest(self) -> datetime | None:
        times = [entry.at for entry in self.audit] + [item.at for item in self.transitions]
        return max(times, default=None)


# --- files -------------------------------------------------------------------------------------------


def read_files(audit_path: str, alerts_path: str) -> History:
    audit = [_audit_entry(record, position) for position, record in _records(audit_path, "audit log")]
    transitions = read_transition_file(alerts_path)
    return History(audit, transitions, f"{display_name(audit_path)}, {display_name(alerts_path)}")


def read_transition_file(path: str) -> list[Transition]:
    """The alert transitions of one file (any of the forms above; state items are skipped)."""
    return [
        transition
        for position, record in _records(path, "alert history")
        if (transition := _transition(record, position)) is not None
    ]


def _records(path: str, what: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each JSON object of the file, with where it is; a scan's ``{"Items": [...]}`` is unpacked."""
    payloads = list(read_payloads(path))
    if not payloads:
        raise UsageError(f"{display_name(path)} holds no records (expected the {what}, JSON Lines)")
    for payload in payloads:
        yield from _objects(payload, path)


def _objects(payload: RawPayload, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    where = f"{display_name(path)} {payload.position}"
    if not payload.parsed:
        raise UsageError(f"{where}: {payload.problem}")
    document = payload.document
    if isinstance(document, dict) and isinstance(document.get("Items"), list):
        for index, item in enumerate(document["Items"], 1):
            yield from _objects(RawPayload(f"{payload.position} item {index}", b"", item), path)
        return
    if not isinstance(document, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(document).__name__}")
    yield where, document


def _typed(record: Mapping[str, Any]) -> bool:
    """A DynamoDB item as the API writes it: every attribute a one-key {type: value} object."""
    return bool(record) and all(
        isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TYPE_TAGS
        for value in record.values()
    )


def _audit_entry(record: Mapping[str, Any], where: str) -> AuditEntry:
    try:
        if _typed(record):
            return entry_from_item(record)
        return _plain_entry(record)
    except (KeyError, TypeError, ValueError) as error:
        problem = f"missing '{error.args[0]}'" if isinstance(error, KeyError) else str(error)
        raise UsageError(f"{where}: not an audit entry ({problem})") from None


def _plain_entry(record: Mapping[str, Any]) -> AuditEntry:
    details = record.get("details") or {}
    if isinstance(details, str):
        details = json.loads(details)
    if not isinstance(details, dict):
        raise ValueError("'details' must be an object")
    at = _time(record["at"])
    optional = {name: record.get(name) for name in ("alert_id", "role", "connection_id", "entry_id")}
    for name, value in optional.items():
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{name}' must be a string")
    return AuditEntry(
        actor=str(record["actor"]),
        action=str(record["action"]),
        at=at,
        alert_id=optional["alert_id"],
        role=optional["role"],
        connection_id=optional["connection_id"],
        details=details,
        entry_id=optional["entry_id"] or new_entry_id(),
    )


def _transition(record: Mapping[str, Any], where: str) -> Transition | None:
    try:
        if _typed(record):
            return transition_from_item(record)
        if record.get("item_type") == "state":
            return None
        return Transition.from_dict(record)
    except (KeyError, TypeError, ValueError, ValidationError) as error:
        problem = f"missing '{error.args[0]}'" if isinstance(error, KeyError) else str(error)
        raise UsageError(f"{where}: not an alert transition ({problem})") from None


def _time(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"'at' must be an ISO 8601 time, got {value!r}")
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"'at' needs a time zone: {value!r}")
    return instant


# --- tables ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tables:
    audit: str
    alerts: str
    endpoint_url: str | None = None
    region: str | None = None
    metrics: str | None = None  # the metrics table (peaks), when known

    @property
    def where(self) -> str:
        return f"tables {self.audit}, {self.alerts}" + (
            f" at {self.endpoint_url}" if self.endpoint_url else ""
        )


def dynamodb_client(endpoint_url: str | None, region: str | None) -> Any:
    return aws_client("dynamodb", endpoint_url, region, max_attempts=5)


def read_tables(
    tables: Tables,
    since: datetime,
    client: Any,
    *,
    progress: Progress,
    page_size: int | None = None,
) -> History:
    """The audit entries and alert transitions from ``since`` on, read with filtered scans
    (``page_size``: items scanned per request; None lets DynamoDB fill 1 MB pages).

    Nothing newer is left out: feedback and acknowledgements given after ``until`` on alerts opened
    before it count, as they do when the same records are read from files; the report counts alerts
    opened before ``until`` only."""
    limit = {"Limit": page_size} if page_size else {}
    # Stored times have a fraction only when it is not zero ("...:00Z" sorts after "...:00.5Z"), so the
    # server-side bound is one second earlier and the exact one is applied here.
    low = iso_seconds(since - timedelta(seconds=1))
    with aws_errors(tables):
        audit_items = _scan(
            client,
            tables.audit,
            progress,
            **limit,
            FilterExpression="begins_with(#pk, :alert) AND #sk >= :low",
            ExpressionAttributeNames={"#pk": AUDIT_TABLE.partition_key.name, "#sk": _sort_key(AUDIT_TABLE)},
            ExpressionAttributeValues={":alert": {"S": "alert#"}, ":low": {"S": low}},
        )
        transitions = scan_transitions(client, tables.alerts, since, progress, page_size=page_size)
    audit = [entry for item in audit_items if since <= (entry := entry_from_item(item)).at]
    return History(audit, transitions, tables.where)


def scan_transitions(
    client: Any, table: str, since: datetime, progress: Progress, *, page_size: int | None = None
) -> list[Transition]:
    """The alerts table's transitions from ``since`` on (a filtered scan; AWS errors are the caller's)."""
    limit = {"Limit": page_size} if page_size else {}
    low = iso_seconds(since - timedelta(seconds=1))  # see read_tables
    alert_items = _scan(
        client,
        table,
        progress,
        **limit,
        FilterExpression="item_type = :transition AND #at >= :low",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":transition": {"S": "transition"}, ":low": {"S": low}},
    )
    return [
        transition
        for item in alert_items
        if (transition := transition_from_item(item)) is not None and since <= transition.at
    ]


def _sort_key(spec: Any) -> str:
    return str(spec.sort_key.name) if spec.sort_key else "sk"


def _scan(client: Any, table: str, progress: Progress, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    scanned = pages = 0
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(TableName=table, **kwargs, **({"ExclusiveStartKey": start} if start else {}))
        pages += 1
        scanned += int(page.get("ScannedCount", 0))
        items += page.get("Items", [])
        progress(f"{table}: {pages} page(s), {scanned} items scanned, {len(items)} in the window")
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def aws_errors(tables: Tables) -> AbstractContextManager[None]:
    """The errors that mean "wrong arguments or environment" become UsageError (exit 2)."""

    def missing(code: str) -> str | None:
        if code != "ResourceNotFoundException":
            return None
        return (
            f"table {tables.audit!r} or {tables.alerts!r} not found (check --stage, --audit-table / "
            f"--alerts-table, --region)"
        )

    return aws_usage_errors(tables.endpoint_url or "AWS", missing)


def table_names(
    stage: str | None, audit_table: str | None, alerts_table: str | None, metrics_table: str | None = None
) -> tuple[str, str, str | None]:
    """The tables of a stage (``floorwatch-<stage>-audit`` / ``-alerts`` / ``-metrics``), or the names
    given; the metrics table (for peaks) is optional."""
    names = ResourceNames(stage=stage) if stage else None
    audit = audit_table or (names.table(AUDIT_TABLE) if names else None)
    alerts = alerts_table or (names.table(ALERTS_TABLE) if names else None)
    if audit is None or alerts is None:
        raise UsageError("name the tables: --stage STAGE, or both --audit-table and --alerts-table")
    return audit, alerts, metrics_table or (names.table(METRICS_TABLE) if names else None)


def events_history(payloads: Iterable[RawPayload]) -> InMemoryMetricStore:
    """The metric history of recorded raw events, folded as the evaluator folds them (rejected
    records are left out: the replay reports them)."""
    # Kept for as long as the recording lasts: the default retention would drop the week's first days.
    store = InMemoryMetricStore(retention=EVENTS_RETENTION)
    events = [
        event
        for payload in payloads
        if payload.parsed
        for event in normalize_document(payload.document).events
    ]
    for start in range(0, len(events), FOLD_BATCH):
        fresh = store.filter_new(EVENTS_PARTITION, events[start : start + FOLD_BATCH])
        if fresh:
            store.apply(EVENTS_PARTITION, fresh, fold(fresh))
    return store
