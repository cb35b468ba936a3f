"""python -m tests.compose: build, start, check and remove the container stack.

Exit 0 when every step passed. Output: one line per step, then a summary line; on a failure
the logs of the failing services (or of the shop's processes when none is marked failing).
    --keep         leave the stack running afterwards (remove it with the printed command)
    --keep-engine  leave a Docker daemon this run started (stand-ins) running
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from scripts.local_ca import ensure_local_tls
from tests.compose.engine import EngineError, ensure_engine, stop_started_engine
from tests.compose.scenario import PROJECT, STEPS, Context, free_port, write_env_file
from tests.compose.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
WORK_DIR = ROOT / "var" / "compose-test"
SHOP_SERVICES = ("gateway", "command-api", "query-api", "worker", "stripe-emulator")


def say(message: str) -> None:
    print(f"compose-test: {message}", flush=True)


def print_logs(stack: Stack) -> None:
    try:
        failing = stack.failing_services()
    except Exception as error:  # the engine itself may be the problem
        say(f"cannot list the services: {error}")
        return
    services = failing or list(SHOP_SERVICES)
    say(f"logs of {'failing services' if failing else 'the shop'}: {', '.join(services)}")
    print(stack.run("ps", "--all", check=False).stdout, flush=True)
    for service in services:
        print(f"----- {service} (last 150 lines) -----", flush=True)
        print(stack.logs(service, tail=150), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.compose", description=__doc__)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--keep-engine", action="store_true")
    args = parser.parse_args(argv)

    started = time.monotonic()
    try:
        engine_started = ensure_engine(ROOT)
    except EngineError as error:
        say(f"no container engine: {error}")
        return 1
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tls_dir = WORK_DIR / "tls"
    ca_file = ensure_local_tls(tls_dir)
    http_port, https_port = free_port(), free_port()
    env_file = WORK_DIR / ".env"
    write_env_file(env_file, tls_dir, http_port, https_port)
    stack = Stack(ROOT, PROJECT, env_file)
    ctx = Context(ROOT, stack, ca_file, http_port, https_port)
    stack.down()  # a previous run that was interrupted

    passed, failed = 0, 0
    try:
        for name, step in STEPS:
            begun = time.monotonic()
            try:
                step(ctx)
            except Exception as error:
                failed += 1
                say(f"FAIL {name} ({time.monotonic() - begun:.1f} s)")
                print("".join(traceback.format_exception_only(error)).rstrip(), flush=True)
                print_logs(stack)
                break
            passed += 1
            say(f"ok   {name} ({time.monotonic() - begun:.1f} s)")
            for note in ctx.notes:
                say(f"     {note}")
            ctx.notes.clear()
    finally:
        if args.keep:
            say(f"left running: docker compose -p {PROJECT} --env-file {env_file} ... down -v")
        else:
            stack.down()
            if engine_started and not args.keep_engine:
                stop_started_engine()
    skipped = len(STEPS) - passed - failed
    not_run = f", {skipped} steps not run" if skipped else ""
    say(f"{time.monotonic() - started:.0f} s in all{not_run}")
    print(f"compose-test: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and skipped == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
