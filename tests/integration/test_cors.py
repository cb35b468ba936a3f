"""A storefront on another origin (Netlify, Vercel) calls the API across origins: CORS_ORIGINS
lets exactly those origins in, through the real gateway (preflights go to the command side)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from tests.support.servers import POSITION, ShopUnderTest, start_shop

STOREFRONT = "https://order-platform.netlify.app"


@pytest.fixture
def cors_shop(settings: Settings) -> Iterator[ShopUnderTest]:
    with start_shop(settings.model_copy(update={"cors_origins": [STOREFRONT]})) as running:
        yield running


def test_a_listed_storefront_may_send_commands_and_read_positions(
    cors_shop: ShopUnderTest,
) -> None:
    preflight = cors_shop.http.options(
        "/cart",
        headers={
            "Origin": STOREFRONT,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == STOREFRONT
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "idempotency-key"} <= {
        h.strip() for h in allowed.split(",")
    }

    created = cors_shop.http.post(
        "/products",
        json={"name": "Kettle", "description": "", "price": 100, "stock": 1},
        headers={**cors_shop.admin(), "Origin": STOREFRONT},
    )
    assert created.status_code == 201
    exposed = created.headers["access-control-expose-headers"].lower()
    assert POSITION.lower() in exposed and "etag" in exposed, exposed

    read = cors_shop.read("/products", after=created, headers={"Origin": STOREFRONT})
    assert read.status_code == 200 and read.headers["access-control-allow-origin"] == STOREFRONT


def test_another_origin_gets_no_cors_grant(cors_shop: ShopUnderTest) -> None:
    answer = cors_shop.http.get("/products", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers
    preflight = cors_shop.http.options(
        "/cart",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
