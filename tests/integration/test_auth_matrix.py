"""Who may call what: every protected route against every kind of caller, on both backends.

One shop per backend serves the whole matrix (a fresh one per case would cost a second each);
each case makes its own accounts, tokens and products, so no case depends on another.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from jose import jwt

from domain.products import Product
from infra.schema import migrate
from infra.settings import load_settings
from tests.support.servers import RELAXED, ShopUnderTest, start_shop
from tests.support.stores import ServiceStores

SECRET = "matrix-secret-" + "m" * 40


@pytest.fixture(scope="module", params=["sqlite", "services"])
def matrix_shop(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    service_stores: ServiceStores | None,
) -> Iterator[ShopUnderTest]:
    common: dict[str, object] = {"jwt_secret": SECRET, "bcrypt_rounds": 4, **RELAXED}
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix")
        settings = load_settings(
            event_store_url=f"sqlite:///{path}/events.db",
            read_store_url=f"sqlite:///{path}/views.db",
            **common,
        )
        migrate(settings)
        with start_shop(settings, worker=False) as running:
            yield running
        return
    if service_stores is None:
        pytest.skip("PostgreSQL/MariaDB/Redis not reachable (they are required when CI=true)")
    name = "t_" + uuid.uuid4().hex[:16]
    with service_stores.fresh(name) as urls:
        settings = load_settings(**urls, redis_namespace=name, **common)
        migrate(settings)
        with start_shop(settings, worker=False) as running:
            yield running


def login(shop: ShopUnderTest, username: str, password: str) -> str:
    answer = shop.http.post("/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def headers_for(shop: ShopUnderTest, caller: str) -> dict[str, str]:
    """A fresh token for each case, so a logout in one case cannot affect another."""
    if caller == "none":
        return {}
    if caller == "bad":
        account = shop.register()
        now = int(time.time())
        # Well-formed, even claiming admin: only the signature is wrong.
        claims = {
            "sub": account["id"],
            "role": "admin",
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
        }
        forged = jwt.encode(claims, "not-the-secret-" + "n" * 40, algorithm="HS256")
        return {"Authorization": f"Bearer {forged}"}
    account = shop.register()
    if caller != "shopper":
        shop.services.accounts.set_role(account["username"], caller)
    return {"Authorization": f"Bearer {login(shop, account['username'], account['password'])}"}


PRODUCT_BODY = {"name": "Matrix teapot", "price": 1234, "stock": 3}

# (method, path, who may call it, the success status)
ROUTES = [
    ("POST", "/products", "admin", 201),
    ("PUT", "/products/{id}", "admin", 200),
    ("DELETE", "/products/{id}", "admin", 204),
    ("POST", "/logout", "self", 204),
    ("GET", "/protected", "self", 200),
]
CALLERS = ["none", "bad", "shopper", "support", "admin"]


def expected_status(caller: str, audience: str, success: int) -> int:
    if caller in ("none", "bad"):
        return 401
    if audience == "admin" and caller != "admin":
        return 403
    return success


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "audience", "success"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_route_access(
    matrix_shop: ShopUnderTest, method: str, path: str, audience: str, success: int, caller: str
) -> None:
    shop = matrix_shop
    product, _ = shop.services.shop.list_product(
        name="Existing", description="", price=500, currency="EUR", stock=2
    )
    headers = headers_for(shop, caller)
    body = PRODUCT_BODY if method in ("POST", "PUT") and "products" in path else None
    before = shop.services.shop.recorder.max_notification_id()

    if method == "PUT":  # changing stock needs the version read (If-Match)
        headers = {**headers, "If-Match": f'"{product.version}"'}
    answer = shop.http.request(method, path.format(id=product.id), json=body, headers=headers)

    want = expected_status(caller, audience, success)
    assert answer.status_code == want, answer.text
    if want >= 400:
        assert answer.headers["content-type"].startswith("application/json")
        assert isinstance(answer.json()["detail"], str)
        if want == 401:
            assert answer.headers.get("www-authenticate", "").lower() == "bearer"
        # A refused command changes nothing: no event, the product as it was.
        assert shop.services.shop.recorder.max_notification_id() == before
        stored = shop.services.shop.load(Product, product.id)
        assert (stored.version, stored.name, stored.delisted) == (1, "Existing", False)
    elif path == "/products/{id}" and method == "PUT":
        assert answer.json()["name"] == "Matrix teapot"
        assert answer.json()["version"] == 4  # one event each: details, price, stock
    elif method == "DELETE":
        assert shop.services.shop.load(Product, product.id).delisted
    elif path == "/protected":
        assert answer.json()["role"] == caller


def test_a_role_change_takes_effect_on_the_next_request(matrix_shop: ShopUnderTest) -> None:
    shop = matrix_shop
    account = shop.register()
    headers = {"Authorization": f"Bearer {login(shop, account['username'], account['password'])}"}
    assert shop.http.post("/products", json=PRODUCT_BODY, headers=headers).status_code == 403
    shop.services.accounts.set_role(account["username"], "admin")
    # The same token: the token's role is overridden by the change, at once in this process
    # (other processes learn it from the access view: tests/integration/test_processes.py).
    assert shop.http.post("/products", json=PRODUCT_BODY, headers=headers).status_code == 201
    shop.services.accounts.set_role(account["username"], "support")
    assert shop.http.post("/products", json=PRODUCT_BODY, headers=headers).status_code == 403
    assert shop.http.get("/protected", headers=headers).json()["role"] == "support"
