"""`shop events export`: the event log, decoded, as JSON Lines or Parquet, for analysts.

The log is read in pages up to the head it had when the export started (a snapshot: events
appended meanwhile wait for the next export), only the topics asked for. Each event is
decoded through its upcasters, so every record has the current shape of its type. Events
hold no personal data (users are opaque ids), and nothing else is read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification

from domain.events import event_classes, type_name
from infra.progress import Progress, ProgressCallback

PAGE = 2000
PARQUET_ROW_GROUP = 20_000
_METADATA = ("originator_id", "originator_version", "timestamp", "originator_topic")


class ExportError(ValueError):
    """Options that cannot be exported as given; the message says why, in one line."""


# -- options ----------------------------------------------------------------------------------


def resolve_types(names: Iterable[str]) -> list[str]:
    """Topics of the event types named as `OrderPlaced`, `Order.OrderPlaced` or the topic."""
    topics = event_classes()
    by_name: dict[str, set[str]] = {}
    for topic in topics:
        qualified = type_name(topic)
        for name in (topic, qualified, qualified.rsplit(".", 1)[-1]):
            by_name.setdefault(name, set()).add(topic)
    chosen: list[str] = []
    for raw in names:
        name = raw.strip()
        found = by_name.get(name)
        if not found:
            known = ", ".join(sorted({type_name(t) for t in topics}))
            raise ExportError(f"unknown event type {name!r}; the types are: {known}")
        if len(found) > 1:
            options = ", ".join(sorted(type_name(t) for t in found))
            raise ExportError(f"{name!r} is ambiguous: say which of {options}")
        chosen.extend(sorted(found - set(chosen)))
    return chosen


def parse_bound(text: str) -> int | datetime:
    """A position (a whole number) or a time (ISO 8601; a date alone is 00:00 UTC; a time
    without an offset is UTC)."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ExportError(
                f"{text!r} is neither a position (a whole number) nor a time"
                " (ISO 8601, e.g. 2026-11-29 or 2026-11-29T18:00:00Z)"
            ) from None
        moment = datetime(day.year, day.month, day.day)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_aggregate(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise ExportError(f"{text!r} is not an aggregate id (a UUID)") from None


@dataclass(frozen=True)
class ExportFilter:
    topics: tuple[str, ...] = ()  # none: every type
    since: int | datetime | None = None  # inclusive
    until: int | datetime | None = None  # inclusive
    aggregate: UUID | None = None

    @classmethod
    def parse(
        cls,
        types: str | None = None,
        since: str | None = None,
        until: str | None = None,
        aggregate: str | None = None,
    ) -> ExportFilter:
        names = [name for name in (types or "").split(",") if name.strip()]
        return cls(
            topics=tuple(resolve_types(names)) if names else (),
            since=parse_bound(since) if since else None,
            until=parse_bound(until) if until else None,
            aggregate=parse_aggregate(aggregate) if aggregate else None,
        )

    @property
    def first_position(self) -> int:
        return self.since if isinstance(self.since, int) else 1

    def last_position(self, head: int) -> int:
        return min(head, self.until) if isinstance(self.until, int) else head

    def keeps_time(self, moment: datetime) -> bool:
        if isinstance(self.since, datetime) and moment < self.since:
            return False
        return not (isinstance(self.until, datetime) and moment > self.until)


# -- records ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """JSON for the values events hold: ids and times as strings, money stays integers."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot export a {type(value).__name__}")


def record_of(notification: Notification, event: Any) -> dict[str, Any]:
    return {
        "position": notification.id,
        "time": event.timestamp.astimezone(UTC).isoformat(),
        "type": type_name(notification.topic),
        "aggregate_id": str(notification.originator_id),
        "aggregate_version": notification.originator_version,
        "data": {k: v for k, v in vars(event).items() if k not in _METADATA},
    }


def records(
    recorder: ApplicationRecorder,
    mapper: Mapper,
    wanted: ExportFilter,
    on_progress: ProgressCallback | None = None,
) -> Iterator[dict[str, Any]]:
    """The events `wanted` selects, in log order, up to the head at the start."""
    head = wanted.last_position(recorder.max_notification_id() or 0)
    position = wanted.first_position - 1
    start, started, read = position, time.monotonic(), 0

    def report(done: bool = False) -> None:
        if on_progress is not None:
            shown = head if done else position
            elapsed = time.monotonic() - started
            on_progress(Progress("export", read, max(shown, 0), head, elapsed, done, start))

    report()
    while position < head:
        page = recorder.select_notifications(
            start=position,
            limit=PAGE,
            stop=head,
            topics=wanted.topics,
            inclusive_of_start=False,
        )
        if not page:
            break
        for notification in page:
            if wanted.aggregate is not None and notification.originator_id != wanted.aggregate:
                continue
            event: Any = mapper.to_domain_event(notification)
            if wanted.keeps_time(event.timestamp):
                yield record_of(notification, event)
        read += len(page)
        position = page[-1].id
        report()
    report(done=True)


# -- formats ----------------------------------------------------------------------------------


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, default=_plain, separators=(",", ":"), ensure_ascii=False))
        out.write("\n")
        count += 1
    out.flush()
    return count


def write_parquet(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Row groups of PARQUET_ROW_GROUP records as they stream; `data` as a JSON string."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("position", pa.int64()),
            ("time", pa.timestamp("us", tz="UTC")),
            ("type", pa.string()),
            ("aggregate_id", pa.string()),
            ("aggregate_version", pa.int64()),
            ("data", pa.string()),
        ]
    )
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    count = 0

    def flush(writer: Any) -> None:
        writer.write_table(pa.Table.from_pydict(columns, schema=schema))
        for values in columns.values():
            values.clear()

    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(str(path), schema) as writer:
        for row in rows:
            columns["position"].append(row["position"])
            columns["time"].append(datetime.fromisoformat(row["time"]))
            columns["type"].append(row["type"])
            columns["aggregate_id"].append(row["aggregate_id"])
            columns["aggregate_version"].append(row["aggregate_version"])
            columns["data"].append(json.dumps(row["data"], default=_plain, ensure_ascii=False))
            count += 1
            if len(columns["position"]) >= PARQUET_ROW_GROUP:
                flush(writer)
        if columns["position"] or count == 0:
            flush(writer)
    return count


def export_events(
    recorder: ApplicationRecorder,
    mapper: Mapper,
    wanted: ExportFilter,
    fmt: str,
    out: IO[str] | Path,
    on_progress: ProgressCallback | None = None,
) -> int:
    """Write the selected events in `fmt` ("jsonl" to a text stream or a file, "parquet" to
    a file); returns how many were written."""
    rows = records(recorder, mapper, wanted, on_progress)
    if fmt == "parquet":
        if not isinstance(out, Path):
            raise ExportError("Parquet goes to a file: give --output FILE")
        return write_parquet(rows, out)
    if fmt != "jsonl":
        raise ExportError(f"unknown format {fmt!r}: jsonl or parquet")
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as stream:
            return write_jsonl(rows, stream)
    return write_jsonl(rows, out)
