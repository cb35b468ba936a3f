"""Progress of a long read of the event log (a replay, a rebuild, an export), for stderr:
a bar, the position against the head of the log, events/s and the time left."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

BAR_WIDTH = 24


@dataclass(frozen=True)
class Progress:
    name: str
    events: int  # notifications read so far (those the reader ignores included)
    position: int
    max_position: int
    elapsed: float
    done: bool = False
    start: int = 0  # the position the run started from (a resumed run starts past 0)

    @property
    def rate(self) -> float:
        return self.events / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def fraction(self) -> float:
        if self.done or self.position >= self.max_position:
            return 1.0
        return self.position / self.max_position if self.max_position else 1.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (ids may have holes, so this errs long)."""
        if self.done or self.position >= self.max_position:
            return 0.0
        done = self.position - self.start
        if done <= 0 or self.elapsed <= 0:
            return None
        return (self.max_position - self.position) * self.elapsed / done

    def line(self) -> str:
        filled = round(BAR_WIDTH * self.fraction)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        eta = "--:--:--" if self.eta is None else clock(self.eta)
        return (
            f"{self.name}: [{bar}] position {self.position}/{self.max_position}"
            f" ({100.0 * self.fraction:5.1f}%)  {self.rate:,.0f} events/s  ETA {eta}"
        )


ProgressCallback = Callable[[Progress], None]


class ProgressPrinter:
    """Progress lines on `stream`: rewritten in place on a terminal, one a second otherwise
    (a log or a pipe gets whole lines). The first and the last line are always written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = 0.1 if self.tty else 1.0
        self.last: float | None = None

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if not progress.done and self.last is not None and now - self.last < self.interval:
            return
        self.last = now
        if self.tty:
            end = "\n" if progress.done else ""
            self.stream.write(f"\r{progress.line()}\x1b[K{end}")
        else:
            self.stream.write(progress.line() + "\n")
        self.stream.flush()


def clock(seconds: float) -> str:
    whole = int(seconds + 0.5)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
