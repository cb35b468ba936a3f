"""Prometheus metrics: per route on the gateway (route templates, never raw paths), per
projection on the worker (beside its /healthz), and a Grafana dashboard naming only metrics
a real scrape shows."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx

from tests.support.servers import ShopUnderTest, free_port, serve
from workers.health import serve_health

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


def metric_names(text: str) -> set[str]:
    """Every sample name in a scrape, and every name a declared family can have (a family
    with no sample yet, such as the failure info while nothing fails, still exists)."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ", 3)
            names.add(family)
            names.update(
                family + suffix
                for suffix in SUFFIXES.get(kind, ())
                if not family.endswith(suffix)  # counters are declared with their _total
            )
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(
            f'{k}="{v}"' in line for k, v in labels.items()
        ):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_gateway_and_worker_metrics_and_the_dashboard(shop: ShopUnderTest) -> None:
    assert shop.worker is not None
    created = shop.create_product(name="Measured")
    product_id = created.json()["id"]
    assert shop.read(f"/products/{product_id}", after=created).status_code == 200
    assert shop.http.get(f"/products/{uuid.uuid4()}").status_code == 404
    assert shop.http.get(f"/no/such/path/{uuid.uuid4()}").status_code == 404

    # Not on the public port (shop serve --metrics-port serves them on loopback) ...
    assert shop.http.get("/metrics").status_code == 404
    # ... but from each API process, which a scraper reaches inside the network.
    with serve(shop.gateway.query) as api:
        scraped_api = httpx.get(f"{api}/metrics", timeout=10)
    assert scraped_api.status_code == 200
    assert scraped_api.headers["content-type"].startswith("text/plain")
    assert scraped_api.headers["cache-control"] == "no-store"
    text = scraped_api.text
    route = "/products/{product_id}"
    assert sample(
        text, "shop_http_requests_total", app="query", method="GET", route=route, status="200"
    )
    assert sample(
        text, "shop_http_requests_total", app="query", method="GET", route=route, status="404"
    )
    assert sample(text, "shop_http_requests_total", app="command", route="/products", status="201")
    assert sample(text, "shop_http_requests_total", route="unmatched", status="404")
    assert sample(text, "shop_http_request_duration_seconds_count", app="query", route=route)
    assert product_id not in text and "/no/such/path" not in text  # templates, not paths

    port = free_port()
    server = serve_health("127.0.0.1", port, shop.worker.projections)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["projections"]["catalog"]["running"] is True
        worker = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert worker.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/nope", timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
    scraped = worker.text
    top = int(created.headers["X-Event-Position"])
    head = sample(scraped, "shop_event_store_head")
    assert head is not None and head >= top
    catalog = sample(scraped, "shop_projection_position", projection="catalog")
    assert catalog is not None and catalog >= top
    assert sample(scraped, "shop_projection_lag_events", projection="catalog") is not None
    assert sample(scraped, "shop_projection_events_total", projection="catalog")
    assert sample(scraped, "shop_projection_batch_events_count", projection="catalog")
    assert sample(scraped, "shop_projection_batch_seconds_count", projection="catalog")
    assert sample(scraped, "shop_projection_state", projection="catalog", state="running") == 1
    owner = shop.worker.projections.owner
    assert sample(scraped, "shop_projection_lease_held", projection="catalog", holder=owner) == 1

    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    named = {name for expr in expressions for name in re.findall(r"\bshop_[a-z0-9_]+", expr)}
    exposed = metric_names(text) | metric_names(scraped)
    assert len(named) >= 12, named
    assert named <= exposed, f"the dashboard names metrics nobody exposes: {named - exposed}"
    # And it shows every projection and HTTP metric there is.
    ours = {name for name in exposed if name.startswith("shop_") and "_created" not in name}
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in ours}
    shown = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in named}
    assert families <= shown, f"metrics the dashboard does not show: {families - shown}"
