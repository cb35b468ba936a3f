"""Operations over real HTTP: ping, health, dependency outages, read-your-writes limits, docs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from eventsourcing.postgres import PostgresDatastore

from command_api.app import create_app as create_command_app
from infra.accounts import AccountStore
from infra.db import make_async_engine
from infra.read_store import make_async_redis
from infra.security import Passwords
from infra.services import Services
from infra.settings import Settings, load_settings
from query_api.app import create_app as create_query_app
from tests.support.servers import ShopUnderTest, serve, start_shop

DEAD_MYSQL = "mysql+pymysql://root@127.0.0.1:1/gone"
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def impatient_shop(settings: Settings) -> Iterator[ShopUnderTest]:
    """A shop whose queries wait at most 0.3 s for a position (no worker: nothing catches up)."""
    impatient = load_settings(**{**settings.model_dump(), "read_your_writes_timeout": 0.3})
    with start_shop(impatient, worker=False) as running:
        yield running


@pytest.fixture
def app_services(settings: Settings) -> Iterator[Services]:
    """The query app's services, set up against the real stores (a test then breaks one)."""
    services = Services(settings)
    services.setup()
    yield services
    services.close()


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert isinstance(answer.json()["detail"], str)
    assert int(answer.headers["Retry-After"]) > 0


# -- ping and health ----------------------------------------------------------------------------


def test_ping(shop: ShopUnderTest) -> None:
    answer = shop.http.get("/ping")
    assert answer.status_code == 200
    assert answer.json() == "pong"


def test_healthz_reports_every_dependency(shop: ShopUnderTest) -> None:
    answer = shop.http.get("/healthz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    assert body["checks"]["event_store"] == "ok"
    assert body["checks"]["read_store"] == "ok"
    expected_redis = "ok" if shop.settings.redis_url else "not configured"
    assert body["checks"]["redis"] == expected_redis


def test_healthz_is_503_when_the_read_store_is_down(app_services: Services) -> None:
    app = create_query_app(app_services)
    views = app.state.reads.views
    # The query side reads through its async engine; point it at a port nobody listens on.
    views.engine = make_async_engine(DEAD_MYSQL, 1, 2.0)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        started = time.monotonic()
        answer = http.get("/healthz")
        assert time.monotonic() - started < 10
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "degraded"
        assert body["checks"]["read_store"].startswith("down")
        assert body["checks"]["event_store"] == "ok"
        # Reads of the catalog answer 503 (not 500) while the read store is away.
        assert_unavailable(http.get("/products"))
        assert http.get("/ping").json() == "pong"


def test_healthz_and_product_pages_are_503_when_redis_is_down(app_services: Services) -> None:
    app = create_query_app(app_services)
    views = app.state.reads.views
    # The query side reads Redis through its async client; point it at a dead port.
    views.redis = make_async_redis(DEAD_REDIS, 2, 2.0)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        answer = http.get("/healthz")
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["status"] == "degraded"
        assert body["checks"]["redis"].startswith("down")
        assert body["checks"]["read_store"] == "ok"
        # Product pages come from Redis when it is configured: a 503, never a 500.
        assert_unavailable(http.get(f"/products/{uuid.uuid4()}"))
        # The catalog list is SQL only and still works.
        assert http.get("/products").status_code == 200


def test_writes_are_503_when_the_accounts_store_is_down(app_services: Services) -> None:
    """A command that cannot reach the accounts table (the event store's database) is a 503."""
    app = create_command_app(app_services)
    # The accounts table is reached through the event store's pool: point it at a dead one.
    dead = PostgresDatastore("gone", "127.0.0.1", 1, "postgres", "", connect_timeout=1)
    app_services.accounts = AccountStore(app_services.shop, Passwords(4), datastore=dead)
    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            answer = http.post("/login", json={"username": "someone", "password": "correct horse"})
            assert_unavailable(answer)
    finally:
        dead.close()


# -- read-your-writes ---------------------------------------------------------------------------


def test_a_position_not_reached_in_time_is_503_within_the_timeout(
    impatient_shop: ShopUnderTest,
) -> None:
    shop = impatient_shop
    stored = shop.create_product()  # no worker: the views never reach its position
    for path in ("/products", f"/products/{uuid.uuid4()}"):
        started = time.monotonic()
        answer = shop.read(path, after=stored)
        elapsed = time.monotonic() - started
        assert_unavailable(answer)
        assert 0.3 <= elapsed < 3.0, elapsed
    # Without a position, or with one already reached, the same query answers at once.
    assert shop.http.get("/products").status_code == 200
    assert shop.read("/products", after=0).status_code == 200


def test_a_position_beyond_the_event_store_is_400_at_once(
    shop_without_worker: ShopUnderTest,
) -> None:
    shop = shop_without_worker  # waits up to 10 s; a refusal must not wait at all
    far = shop.services.shop.position() + 1_000_000
    for path in ("/products", f"/products/{uuid.uuid4()}"):
        started = time.monotonic()
        answer = shop.read(path, after=far)
        assert answer.status_code == 400, answer.text
        assert "X-Event-Position" in answer.json()["detail"]
        assert time.monotonic() - started < 3.0


def test_a_malformed_position_is_400(impatient_shop: ShopUnderTest) -> None:
    shop = impatient_shop
    product_path = f"/products/{uuid.uuid4()}"
    malformed: list[str | bytes] = ["abc", "-1", "1.5", "1e3", "0x10", "1 2", "+5", "9" * 4400]
    # Latin-1 digits that str.isdigit() accepts but int() does not.
    malformed += [b"\xb2", b"\xb9\xb3"]
    for value in malformed:
        for path in ("/products", product_path):
            answer = shop.http.get(path, headers={"X-Event-Position": value})
            assert answer.status_code == 400, (value, path, answer.text)
            assert "X-Event-Position" in answer.json()["detail"]
    # An empty header means "no position".
    assert shop.http.get("/products", headers={"X-Event-Position": ""}).status_code == 200


# -- documentation and the storefront -----------------------------------------------------------


def test_docs_and_openapi(shop: ShopUnderTest) -> None:
    docs = shop.http.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    assert "/openapi.json" in docs.text

    spec = shop.http.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"get", "post"} <= set(paths["/products"])
    assert {"get", "put", "delete"} <= set(paths["/products/{product_id}"])
    for path, method in (
        ("/register", "post"),
        ("/login", "post"),
        ("/logout", "post"),
        ("/protected", "get"),
        ("/ping", "get"),
        ("/healthz", "get"),
    ):
        assert method in paths[path], (path, method)
    # Response models: every catalog and account operation documents its success body.
    for path, method, status in (
        ("/products", "get", "200"),
        ("/products", "post", "201"),
        ("/products/{product_id}", "get", "200"),
        ("/products/{product_id}", "put", "200"),
        ("/register", "post", "201"),
        ("/login", "post", "200"),
        ("/protected", "get", "200"),
    ):
        content = paths[path][method]["responses"][status]["content"]
        assert "schema" in content["application/json"], (path, method)
    assert "204" in paths["/products/{product_id}"]["delete"]["responses"]
    assert "204" in paths["/logout"]["post"]["responses"]


def test_a_browser_navigation_gets_the_storefront(shop: ShopUnderTest) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = shop.http.get("/", headers={"Accept": browser})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower() or "<h1>" in page.text.lower()
    # The API on the same paths still answers JSON to API clients.
    for accept in ("application/json", "*/*"):
        answer = shop.http.get("/products", headers={"Accept": accept})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/json")
