"""Storms: what the shop does when far more arrives than it can serve.

**Login storm.** 150 connections sign one account in, over and over, each as soon as its last
answer came, against the shop's gateway with the production bcrypt cost (12). The calm
baseline is the same gateway signing in on as many connections as the machine has CPUs: the
rate the process can hash at. The shop must keep serving sign-ins at about that rate (the
bounded hash pool), refuse the rest at once with 503 instead of queueing them past their
deadline, and answer everything within the deadline plus a second.
`login_storm_success_ratio` = sign-ins served per second under the storm / calm sign-ins per
second (target >= 0.5).

**Webhook storm.** 100 connections deliver signed Stripe events as fast as they are
answered: half new events, half copies of one event already recorded (a replayed delivery).
Every delivery must be acknowledged (2xx): reported as deliveries/s, p99 and the share of
non-2xx answers; the receipt's stream grows by a handful of events, not one per copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench import project
from bench.config import log
from bench.context import Bench, ratio
from bench.http import Connection
from bench.load import median, percentile
from bench.processes import free_port, running

STORM_ACCOUNT = ("stormuser", "storm user password")
STORM_BCRYPT_ROUNDS = 12  # the production cost: the storm is about hashing
WEBHOOK_SECRET = "whsec_bench_" + "s" * 24
REQUEST_TIMEOUT = 15.0  # the gateway's default deadline

Unit = Callable[[Connection], Awaitable[int]]


@contextmanager
def storm_gateway(bench: Bench) -> Iterator[str]:
    """`shop serve gateway` as deployed, taking signed webhooks (its Stripe API is never
    called here: the address is a closed loopback port)."""
    port = free_port()
    env = project.process_env(
        bench.settings,
        project.GATEWAY_APP_NAME,
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        REQUEST_TIMEOUT=str(REQUEST_TIMEOUT),
    )
    command = [sys.executable, "-m", "entrypoints.cli", "serve", "gateway", "--port", str(port)]
    with running("storm-gateway", command, env, bench.logs, port):
        yield f"http://127.0.0.1:{port}"


def storm(url: str, unit: Unit, connections: int, seconds: float) -> dict[str, Any]:
    """Every connection runs `unit` in a loop for `seconds`; (status, latency) of each."""

    async def go() -> list[tuple[int, float]]:
        answers: list[tuple[int, float]] = []
        end = time.perf_counter() + seconds
        conns = [Connection(url) for _ in range(connections)]

        async def loop(conn: Connection) -> None:
            while time.perf_counter() < end:
                started = time.perf_counter()
                try:
                    status = await unit(conn)
                except (ConnectionError, asyncio.IncompleteReadError):
                    status = 0  # no answer at all
                answers.append((status, time.perf_counter() - started))

        try:
            await asyncio.gather(*(loop(c) for c in conns))
        finally:
            for conn in conns:
                await conn.close()
        return answers

    started = time.perf_counter()
    answers = asyncio.run(go())
    elapsed = time.perf_counter() - started
    latencies = [latency for _, latency in answers]
    by_status: dict[str, int] = {}
    for status, _ in answers:
        by_status[str(status)] = by_status.get(str(status), 0) + 1
    served = sum(1 for status, _ in answers if 200 <= status < 300)
    return {
        "connections": connections,
        "seconds": round(elapsed, 2),
        "served_per_s": round(served / elapsed, 1),
        "answers": len(answers),
        "by_status": by_status,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0.0) * 1000, 1),
    }


def login_unit(username: str, password: str) -> Unit:
    body = {"username": username, "password": password}

    async def unit(conn: Connection) -> int:
        return (await conn.request("POST", "/login", body=body)).status

    return unit


def webhook_unit(replayed: bytes) -> Unit:
    """Alternately a new signed event and a copy of one already recorded."""
    turn = 0

    async def unit(conn: Connection) -> int:
        nonlocal turn
        turn += 1
        payload = replayed if turn % 2 else _event(f"evt_storm_{uuid.uuid4().hex}")
        headers = {"stripe-signature": project.sign_webhook(payload, WEBHOOK_SECRET)}
        answer = await conn.request_raw("POST", "/webhooks/stripe", headers, payload)
        return answer.status

    return unit


def _event(event_id: str) -> bytes:
    obj = {"id": "cus_storm", "object": "customer"}
    event = {"id": event_id, "object": "event", "type": "customer.created", "created": 0}
    return json.dumps({**event, "created": int(time.time()), "data": {"object": obj}}).encode()


def run(bench: Bench) -> None:
    config = bench.config
    project.create_account(bench.harness, *STORM_ACCOUNT, bcrypt_rounds=STORM_BCRYPT_ROUNDS)
    cpus = os.cpu_count() or 1
    with storm_gateway(bench) as url:
        unit = login_unit(*STORM_ACCOUNT)
        calm_runs, storm_runs = [], []
        for _ in range(config.rounds):
            calm_runs.append(storm(url, unit, cpus, config.storm_seconds))
            log(f"storms: calm sign-ins {calm_runs[-1]['served_per_s']}/s")
            storm_runs.append(storm(url, unit, config.storm_logins, config.storm_seconds))
            log(
                f"storms: under the storm {storm_runs[-1]['served_per_s']}/s served,"
                f" {storm_runs[-1]['by_status']}, max {storm_runs[-1]['max_ms']} ms"
            )
        calm = median([r["served_per_s"] for r in calm_runs])
        stormy = median([r["served_per_s"] for r in storm_runs])
        bench.ratios["login_storm_success_ratio"] = ratio(stormy, calm)
        bench.measurements["login_storm"] = {
            "unit": "sign-ins/s",
            "bcrypt_rounds": STORM_BCRYPT_ROUNDS,
            "calm": calm_runs,
            "storm": storm_runs,
            "deadline_ms": REQUEST_TIMEOUT * 1000,
            "within_deadline_plus_1s": all(
                r["max_ms"] <= (REQUEST_TIMEOUT + 1) * 1000 for r in storm_runs
            ),
        }

        replayed = _event(f"evt_storm_replayed_{uuid.uuid4().hex}")
        webhook_runs = [
            storm(url, webhook_unit(replayed), config.storm_webhooks, config.storm_seconds)
            for _ in range(config.rounds)
        ]
        for result in webhook_runs:
            log(f"storms: webhooks {result['served_per_s']}/s acknowledged, {result['by_status']}")
    event_id = json.loads(replayed)["id"]
    bench.measurements["webhook_storm"] = {
        "unit": "deliveries/s",
        "runs": webhook_runs,
        "not_2xx": sum(
            n for r in webhook_runs for s, n in r["by_status"].items() if not s.startswith("2")
        ),
        "replayed_event_log_events": project.receipt_events(bench.harness, event_id),
    }
