"""Checkout throughput: flows/s through the shop's gateway (real shopper tokens, the worker
projecting behind it) against the bare checkout, at each connection count.

A flow is add-to-cart + checkout. Every run starts from new shoppers and new products (one
of each per connection, so connections never contend for one aggregate and every run
starts from the same history), made before the timed part.
"""

from __future__ import annotations

from typing import Any

from bench import shop_api
from bench.config import log
from bench.context import Bench, alternate, compare
from bench.load import Run, closed_loop


def project_run(bench: Bench, connections: int, url: str, phase: str) -> Run:
    config = bench.config
    bench.settle()
    shoppers = shop_api.new_shoppers(url, connections)
    products = shop_api.new_products(url, connections, bench.admin)
    bench.settle()
    steps = [shop_api.project_flow(s, p) for s, p in zip(shoppers, products, strict=True)]
    with bench.pg.under_load(phase):
        result = closed_loop(url, steps, config.run_seconds, config.warmup_seconds)
    bench.shoppers.extend(shoppers)
    return result


def bare_run(bench: Bench, connections: int) -> Run:
    config = bench.config
    bench.settle()
    products = shop_api.new_products(bench.bare_checkout_url, connections)
    steps = [shop_api.bare_flow(p) for p in products]
    return closed_loop(bench.bare_checkout_url, steps, config.run_seconds, config.warmup_seconds)


def run(bench: Bench) -> None:
    config = bench.config
    by_connections: dict[str, Any] = {}
    for connections in config.concurrencies:

        def project(c: int = connections) -> Run:
            return project_run(bench, c, bench.project_url, f"checkout, {c} connections")

        def bare(c: int = connections) -> Run:
            return bare_run(bench, c)

        runs = alternate(config.rounds, {"project": project, "bare": bare})
        result = compare(runs, "flows/s")
        by_connections[str(connections)] = result
        log(
            f"checkout, {connections} connections: project {result['project']['median']}"
            f" flows/s, bare {result['bare']['median']} flows/s, ratio {result['ratio']}"
        )
    bench.measurements["checkout"] = {
        "payments": "instant in-process stand-in (bench/project.py: InstantPayments)",
        "connections": by_connections,
    }
    bench.ratios["checkout_vs_bare"] = by_connections[str(config.connections)]["ratio"]


def run_emulated(bench: Bench, flush: Any) -> None:
    """The same flows with the real Stripe adapter against localstripe (emptied before each
    run), alternating with the bare checkout at the same connection count."""
    config = bench.config
    connections = config.emulated_connections

    def emulated() -> Run:
        flush()
        return project_run(bench, connections, bench.project_url, "checkout, emulator")

    runs = alternate(
        config.rounds, {"project": emulated, "bare": lambda: bare_run(bench, connections)}
    )
    result = compare(runs, "flows/s")
    bench.measurements["checkout_emulated"] = {
        "payments": "the Stripe SDK against localstripe (entrypoints/stripe_emulator.py)",
        "connections": {str(connections): result},
    }
    bench.ratios["checkout_emulated_vs_bare"] = result["ratio"]
    log(
        f"checkout with the emulator, {connections} connections: project"
        f" {result['project']['median']} flows/s, ratio to bare {result['ratio']}"
    )
