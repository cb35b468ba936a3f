"""The stored-event fixtures: every shape of every event the shop has ever stored.

Events are forever, so the code must load every version of every event class ever written.
The fixtures hold events exactly as they were stored (topic + state bytes, base64):

    tests/fixtures/stored_events_v1.json     the first samples (never regenerate it)
    tests/fixtures/stored_events/*.json      later samples, one file per change, in name order

How to change an event's shape (the one procedure; docs/events.md explains why):
1. On the event class: `class_version = N + 1` and a static `upcast_vN_vN+1(state)` that turns
   the stored state of version N into version N + 1 (fill new fields, rename, drop).
2. Record samples of the new shape in a new file under tests/fixtures/stored_events/, named
   `NNNN-what-changed.json` (the next number), from a store that holds them:

       .venv/bin/python -m tests.support.stored_events tests/fixtures/stored_events/0002-x.json \\
           --event-store-url sqlite:///var/events.db --types Order.OrderPlaced --after 120

   or from a test scenario with `write_fixture(shop, path, after=...)`. Never edit or
   regenerate an existing file: it is what production stores hold.
3. tests/unit/test_stored_events.py then proves, with no change of its own, that every stored
   version still decodes into the current shape; add assertions on the aggregates the new
   samples build where it matters.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, StoredEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIRST = FIXTURES / "stored_events_v1.json"
LATER = FIXTURES / "stored_events"


@dataclass(frozen=True)
class StoredSample:
    """One event as some version of the code stored it, and the file that holds it."""

    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    source: str

    @property
    def class_version(self) -> int:
        """The version of the event class that wrote it (the library stores it from 2 on)."""
        return int(json.loads(self.state).get("class_version", 1))

    def stored_event(self) -> StoredEvent:
        return StoredEvent(
            originator_id=self.originator_id,
            originator_version=self.originator_version,
            topic=self.topic,
            state=self.state,
        )


def fixture_files() -> list[Path]:
    return [FIRST, *sorted(LATER.glob("*.json"))]


def load_samples(files: Iterable[Path] | None = None) -> list[StoredSample]:
    """Every stored sample, in the order it must be inserted (files in order, rows in order)."""
    samples = []
    for path in fixture_files() if files is None else files:
        for row in json.loads(path.read_text()):
            samples.append(
                StoredSample(
                    originator_id=UUID(str(row["originator_id"])),
                    originator_version=int(row["originator_version"]),
                    topic=str(row["topic"]),
                    state=base64.b64decode(str(row["state"])),
                    source=path.name,
                )
            )
    return samples


def fixture_rows(notifications: Sequence[Notification]) -> list[dict[str, object]]:
    return [
        {
            "originator_id": str(n.originator_id),
            "originator_version": n.originator_version,
            "topic": n.topic,
            "state": base64.b64encode(n.state).decode(),
        }
        for n in notifications
    ]


def write_fixture(app: Application, path: Path, after: int = 0, topics: Sequence[str] = ()) -> int:
    """Write the events stored after position `after` (of these topics, or all) as a new
    fixture file; returns how many. Refuses to overwrite a file: fixtures are forever."""
    if path.exists():
        raise FileExistsError(f"{path} exists: fixtures are never rewritten, name a new file")
    notifications: list[Notification] = []
    position = after
    while True:
        page = app.recorder.select_notifications(
            start=position, limit=1000, topics=topics, inclusive_of_start=False
        )
        if not page:
            break
        notifications.extend(page)
        position = page[-1].id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fixture_rows(notifications), indent=1) + "\n")
    return len(notifications)


def main(argv: Sequence[str] | None = None) -> int:
    from domain.shop import Shop
    from infra.event_export import resolve_types
    from infra.event_store import event_store_env
    from infra.settings import load_settings

    parser = argparse.ArgumentParser(description="Record stored events as a new fixture file.")
    parser.add_argument("path", type=Path)
    parser.add_argument("--event-store-url", required=True)
    parser.add_argument("--after", type=int, default=0, help="only events after this position")
    parser.add_argument("--types", default="", help="comma-separated event types (default: all)")
    args = parser.parse_args(argv)
    settings = load_settings(event_store_url=args.event_store_url, jwt_secret="x" * 32)
    shop = Shop(env=event_store_env(settings, pool_size=1))
    try:
        types = [t for t in args.types.split(",") if t.strip()]
        count = write_fixture(shop, args.path, args.after, resolve_types(types) if types else ())
    finally:
        shop.close()
    print(f"{count} stored events written to {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
