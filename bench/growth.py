"""Does a checkout slow down as history grows? The flow's p50 for a product with many earlier
sales and a shopper with many earlier orders, over the p50 for a new product and a new shopper.

The history is seeded in-process through the shop's application (bench/project.py), not over
HTTP, then projected by the worker before anything is timed. Timed flows run one at a time
on one connection, old and new alternating; every new flow has a shopper and a product of
its own, so "new" stays new.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from bench import project, shop_api
from bench.config import log
from bench.context import Bench, ratio
from bench.http import Connection
from bench.load import median, percentile
from bench.shop_api import FlowTimes, Shopper


def _flows(times: FlowTimes) -> list[float]:
    return [a + c for a, c in zip(times.add, times.checkout, strict=True)]


def seed(bench: Bench, shopper: Shopper, product_id: str) -> float:
    config = bench.config
    started = time.perf_counter()
    with project.services(bench.settings, aggregate_cache=True) as seeding:
        project.seed_sales(
            seeding, uuid.UUID(product_id), config.growth_sales - config.growth_orders
        )
        project.seed_orders(
            seeding, uuid.UUID(shopper.user_id), uuid.UUID(product_id), config.growth_orders
        )
    return time.perf_counter() - started


def run(bench: Bench) -> None:
    config = bench.config
    old_shopper = shop_api.new_shoppers(bench.project_url, 1)[0]
    old_product = shop_api.new_products(bench.project_url, 1, bench.admin)[0]
    log(
        f"growth: seeding {config.growth_sales:,} sales and {config.growth_orders:,} orders"
        " in-process"
    )
    seconds = seed(bench, old_shopper, old_product)
    log(f"growth: seeded in {seconds:.0f}s; waiting for the worker to project it")
    bench.settle()
    count = config.rounds * config.growth_flows
    new_shoppers = shop_api.new_shoppers(bench.project_url, count)
    new_products = shop_api.new_products(bench.project_url, count, bench.admin)
    bench.settle()

    rounds: list[dict[str, FlowTimes]] = []

    async def measure() -> None:
        conn = Connection(bench.project_url)
        fresh = iter(zip(new_shoppers, new_products, strict=True))
        try:
            for _ in range(config.rounds):
                times = {"old": FlowTimes(), "new": FlowTimes()}
                for i in range(config.growth_flows):
                    shopper, product = next(fresh)
                    pair = [
                        shop_api.project_flow(old_shopper, old_product, times["old"]),
                        shop_api.project_flow(shopper, product, times["new"]),
                    ]
                    for step in pair if i % 2 == 0 else reversed(pair):
                        await step(conn)
                rounds.append(times)
        finally:
            await conn.close()

    asyncio.run(measure())

    def p50s(side: str, part: str) -> list[float]:
        values = [_flows(r[side]) if part == "flow" else getattr(r[side], part) for r in rounds]
        return [percentile(v, 50) * 1000 for v in values]

    result: dict[str, object] = {
        "sales_before": config.growth_sales,
        "orders_before": config.growth_orders,
        "seed_seconds": round(seconds, 1),
        "flows_per_side": count,
    }
    for part in ("flow", "add", "checkout"):
        old, new = median(p50s("old", part)), median(p50s("new", part))
        result[part] = {
            "old_p50_ms": round(old, 2),
            "new_p50_ms": round(new, 2),
            "ratio": ratio(old, new),
            "old_rounds_p50_ms": [round(v, 2) for v in p50s("old", part)],
            "new_rounds_p50_ms": [round(v, 2) for v in p50s("new", part)],
        }
    bench.measurements["growth"] = result
    bench.ratios["checkout_growth"] = result["flow"]["ratio"]  # type: ignore[index]
    log(f"growth: old/new flow p50 = {bench.ratios['checkout_growth']}")
