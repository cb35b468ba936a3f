"""Reads through the shop's gateway against the bare async app reading the same data:
a product page (the Redis hot view), the catalog's first page (SQL) and an order's history
(SQL, with the owner's token on the shop), at each connection count.

Before timing, both answer the same request once and must agree, so the baseline provably
reads the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bench import shop_api
from bench.config import log
from bench.context import Bench, alternate, compare
from bench.http import Connection
from bench.load import Run, Step, closed_loop

# Step factories: connection index -> the step that connection runs.
Steps = Callable[[int], Step]


def _same(kind: str, shop: Any, bare: Any) -> bool:
    if kind == "product_read":
        keys = ("id", "name", "price", "currency", "stock", "version")
        return all(shop[k] == bare[k] for k in keys)
    if kind == "product_list":
        return shop["total"] == bare["total"] and [i["id"] for i in shop["items"]] == [
            i["id"] for i in bare["items"]
        ]
    return [(i["version"], i["type"]) for i in shop["items"]] == [
        (i["version"], i["type"]) for i in bare["items"]
    ]


def check_same(bench: Bench, kind: str, path: str, headers: dict[str, str] | None) -> None:
    async def both() -> tuple[Any, Any]:
        shop, bare = Connection(bench.project_url), Connection(bench.bare_reads_url)
        try:
            a = await shop.request("GET", path, headers, expect=200)
            b = await bare.request("GET", path, expect=200)
            return a.json(), b.json()
        finally:
            await shop.close()
            await bare.close()

    shop_answer, bare_answer = asyncio.run(both())
    if not _same(kind, shop_answer, bare_answer):
        raise RuntimeError(
            f"{kind}: the bare app does not read what the shop serves for {path}:"
            f"\n shop: {str(shop_answer)[:400]}\n bare: {str(bare_answer)[:400]}"
        )


def _measure(bench: Bench, kind: str, project_steps: Steps, bare_steps: Steps) -> None:
    config = bench.config
    by_connections: dict[str, Any] = {}
    for connections in config.concurrencies:

        def project(c: int = connections) -> Run:
            with bench.pg.under_load(f"{kind}, {c} connections"):
                return closed_loop(
                    bench.project_url,
                    [project_steps(i) for i in range(c)],
                    config.run_seconds,
                    config.warmup_seconds,
                )

        def bare(c: int = connections) -> Run:
            return closed_loop(
                bench.bare_reads_url,
                [bare_steps(i) for i in range(c)],
                config.run_seconds,
                config.warmup_seconds,
            )

        result = compare(alternate(config.rounds, {"project": project, "bare": bare}), "reads/s")
        by_connections[str(connections)] = result
        log(
            f"{kind}, {connections} connections: project {result['project']['median']}/s,"
            f" bare {result['bare']['median']}/s, ratio {result['ratio']}"
        )
    bench.measurements[kind] = {"connections": by_connections}
    bench.ratios[f"{kind}_vs_bare"] = by_connections[str(config.connections)]["ratio"]


def run(bench: Bench) -> None:
    config = bench.config
    ids = shop_api.new_products(bench.project_url, config.catalog_products, bench.admin)
    bench.settle()
    pages = [f"/products/{product_id}" for product_id in ids]
    check_same(bench, "product_read", pages[0], None)
    _measure(
        bench,
        "product_read",
        lambda i: shop_api.reader(pages, i * 37),
        lambda i: shop_api.reader(pages, i * 37),
    )

    check_same(bench, "product_list", "/products", None)
    _measure(
        bench,
        "product_list",
        lambda i: shop_api.reader(["/products"], 0),
        lambda i: shop_api.reader(["/products"], 0),
    )

    if not any(shopper.orders for shopper in bench.shoppers):  # the checkout section did not run
        shoppers = shop_api.new_shoppers(bench.project_url, config.connections)
        products = shop_api.new_products(bench.project_url, config.connections, bench.admin)
        shop_api.place_orders(bench.project_url, shoppers, products, 10)
        bench.shoppers.extend(shoppers)
        bench.settle()
    owners = sorted((s for s in bench.shoppers if s.orders), key=lambda s: -len(s.orders))
    histories = [[f"/orders/{o}/history" for o in s.orders] for s in owners]
    check_same(bench, "order_history", histories[0][0], owners[0].headers)
    _measure(
        bench,
        "order_history",
        lambda i: shop_api.reader(histories[i % len(owners)], i, owners[i % len(owners)].headers),
        lambda i: shop_api.reader(histories[i % len(owners)], i),
    )
    bench.measurements["order_history"]["orders_read"] = sum(len(h) for h in histories)
