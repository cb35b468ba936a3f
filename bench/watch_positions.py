"""`python -m bench.watch_positions`: notes when each view's stored position moves.

Configured like the worker (the shop's settings in the environment). Prints `ready` once it
has read every position, polls until its standard input closes, then prints its samples as
one JSON object: view -> [[CLOCK_MONOTONIC seconds, position], ...], one entry per change.
A process of its own, so its polling neither shares the load generator's interpreter nor
waits on it.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from bench import project


def main() -> None:
    settings = project.settings_from_env()
    names = project.views(settings)
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name, _ in names}
    last = dict.fromkeys(samples, -1)
    stop = threading.Event()

    def until_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_stdin_closes, daemon=True).start()
    with project.view_positions(settings) as positions:

        def sample() -> None:
            for name, in_redis in names:
                position = positions.position(name, in_redis=in_redis)
                if position != last[name]:
                    samples[name].append((time.monotonic(), position))
                    last[name] = position

        sample()
        print("ready", flush=True)
        while not stop.is_set():
            time.sleep(0.001)
            sample()
        # The harness closes stdin once every view has passed its last position: one more
        # look, so a watcher starved of CPU near the end still sees where they got to.
        sample()
    print(json.dumps(samples), flush=True)


if __name__ == "__main__":
    main()
