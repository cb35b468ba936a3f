"""The catalog over real HTTP: admin CRUD, listing, versions (If-Match/ETag), validation, races."""

from __future__ import annotations

import threading
import uuid

import httpx

from domain.errors import ConcurrentUpdate
from domain.products import Product
from tests.support.servers import ShopUnderTest


def product_body(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "Teapot",
        "description": "Short and stout",
        "price": 1999,
        "stock": 5,
    }
    body.update(fields)
    return body


def assert_json_error(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert "detail" in answer.json()


def put(
    shop: ShopUnderTest, product_id: object, if_match: str | None = None, **fields: object
) -> httpx.Response:
    headers = shop.admin()
    if if_match is not None:
        headers["If-Match"] = if_match
    return shop.http.put(f"/products/{product_id}", json=product_body(**fields), headers=headers)


# -- create, read, update, delete ---------------------------------------------------------------


def test_admin_crud_round_trip(shop: ShopUnderTest) -> None:
    created = shop.create_product(name="  Teapot ", price=1999, stock=5)
    body = created.json()
    product_id = body["id"]
    assert created.headers["Location"] == f"/products/{product_id}"
    assert created.headers["ETag"] == '"1"'
    assert int(created.headers["X-Event-Position"]) > 0
    assert body["name"] == "Teapot"
    assert (body["price"], body["currency"], body["stock"], body["version"]) == (
        1999,
        "EUR",
        5,
        1,
    )

    read = shop.read(f"/products/{product_id}", after=created)
    assert read.status_code == 200, read.text
    assert read.headers["ETag"] == '"1"'
    assert read.json() == body

    updated = put(shop, product_id, '"1"', name="Kettle", price=2500, stock=5)
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 3  # ProductDetailsRevised + PriceChanged
    assert updated.headers["ETag"] == '"3"'
    assert int(updated.headers["X-Event-Position"]) > int(created.headers["X-Event-Position"])
    read = shop.read(f"/products/{product_id}", after=updated)
    assert read.headers["ETag"] == '"3"'
    assert read.json() == updated.json()

    deleted = shop.http.delete(f"/products/{product_id}", headers=shop.admin())
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert int(deleted.headers["X-Event-Position"]) > int(updated.headers["X-Event-Position"])
    assert_json_error(shop.read(f"/products/{product_id}", after=deleted), 404)
    listing = shop.read("/products", after=deleted).json()
    assert product_id not in [item["id"] for item in listing["items"]]
    assert listing["total"] == 0

    # The history stays in the event store: earlier versions can still be loaded.
    repository = shop.services.shop.repository
    first = repository.get(uuid.UUID(product_id), version=1)
    assert (first.name, first.price, first.version, first.delisted) == ("Teapot", 1999, 1, False)
    latest = repository.get(uuid.UUID(product_id))
    assert (latest.name, latest.version, latest.delisted) == ("Kettle", 4, True)


def test_a_deleted_product_cannot_be_updated_or_deleted(shop: ShopUnderTest) -> None:
    product_id = shop.create_product().json()["id"]
    assert shop.http.delete(f"/products/{product_id}", headers=shop.admin()).status_code == 204
    before = shop.services.shop.recorder.max_notification_id()
    assert_json_error(put(shop, product_id, price=1), 404)
    assert_json_error(put(shop, product_id, '"2"', price=1), 404)
    assert_json_error(shop.http.delete(f"/products/{product_id}", headers=shop.admin()), 404)
    assert shop.services.shop.recorder.max_notification_id() == before


def test_unknown_and_malformed_ids(shop: ShopUnderTest) -> None:
    created = shop.create_product()
    unknown = uuid.uuid4()
    assert_json_error(shop.read(f"/products/{unknown}", after=created), 404)
    assert_json_error(put(shop, unknown), 404)
    assert_json_error(shop.http.delete(f"/products/{unknown}", headers=shop.admin()), 404)
    # An id of another kind of aggregate (an account) is no product either.
    account_id = shop.register()["id"]
    assert_json_error(put(shop, account_id), 404)
    assert_json_error(shop.http.delete(f"/products/{account_id}", headers=shop.admin()), 404)
    assert_json_error(shop.read(f"/products/{account_id}", after=created), 404)
    # Not a UUID at all: FastAPI's path validation answers 422 (JSON, never 500).
    for bad in ("not-a-uuid", "123", f"{unknown}x"):
        assert_json_error(shop.http.get(f"/products/{bad}"), 422)
        assert_json_error(put(shop, bad), 422)
        assert_json_error(shop.http.delete(f"/products/{bad}", headers=shop.admin()), 422)


# -- listing ------------------------------------------------------------------------------------


def test_list_is_newest_first_and_paginated(shop: ShopUnderTest) -> None:
    names = [f"Product {n}" for n in range(5)]
    last = None
    ids = []
    for name in names:
        last = shop.create_product(name=name, price=100)
        ids.append(last.json()["id"])
    # Revising the oldest does not move it: the order is by listing, not by change.
    last = put(shop, ids[0], price=101)
    assert last.status_code == 200

    page = shop.read("/products", after=last)
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (5, 20, 0)
    assert [item["id"] for item in body["items"]] == ids[::-1]
    assert body["items"][-1]["price"] == 101

    seen = []
    for offset in (0, 2, 4):
        page = shop.http.get("/products", params={"limit": 2, "offset": offset}).json()
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, offset)
        seen += [item["id"] for item in page["items"]]
    assert seen == ids[::-1]
    empty = shop.http.get("/products", params={"limit": 2, "offset": 50}).json()
    assert (empty["items"], empty["total"]) == ([], 5)
    assert shop.http.get("/products", params={"limit": 100}).status_code == 200


def test_list_refuses_bad_pagination(shop: ShopUnderTest) -> None:
    for params in (
        {"limit": 101},
        {"limit": 0},
        {"limit": -1},
        {"offset": -1},
        {"limit": "ten"},
        {"offset": "1.5"},
    ):
        assert_json_error(shop.http.get("/products", params=params), 422)


# -- validation ---------------------------------------------------------------------------------


def test_invalid_products_are_refused_with_422(shop: ShopUnderTest) -> None:
    created = shop.create_product()
    product_id = created.json()["id"]
    before = shop.services.shop.recorder.max_notification_id()
    invalid: list[dict[str, object]] = [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"price": -1},
        {"price": 19.99},
        {"price": 20.0},
        {"price": "1999"},
        {"price": None},
        {"price": True},
        {"stock": -1},
        {"stock": 1.5},
        {"stock": "5"},
        {"currency": "EURO"},
        {"currency": "E1R"},
        {"currency": "€"},
        {"currency": ""},
        {"currency": "ÄÖÜ"},
        {"currency": "XYZ"},  # three letters, but no ISO 4217 code
    ]
    for fields in invalid:
        answer = shop.http.post("/products", json=product_body(**fields), headers=shop.admin())
        assert_json_error(answer, 422)
        assert put(shop, product_id, **fields).status_code == 422, fields
    for missing in ("name", "price", "stock"):
        body = product_body()
        del body[missing]
        answer = shop.http.post("/products", json=body, headers=shop.admin())
        assert_json_error(answer, 422)
    for not_an_object in ([], "teapot", 5, None):
        answer = shop.http.post("/products", json=not_an_object, headers=shop.admin())
        assert_json_error(answer, 422)
    assert shop.services.shop.recorder.max_notification_id() == before


def test_malformed_json_is_400(shop: ShopUnderTest) -> None:
    product_id = shop.create_product().json()["id"]
    headers = {**shop.admin(), "Content-Type": "application/json"}
    for raw in (b'{"name": "Teapot", ', b"{'name': 'x'}", b"\xff\xfe"):
        answer = shop.http.post("/products", content=raw, headers=headers)
        assert_json_error(answer, 400)
        answer = shop.http.put(f"/products/{product_id}", content=raw, headers=headers)
        assert_json_error(answer, 400)


def test_currency_defaults_from_settings_and_is_upper_cased(shop: ShopUnderTest) -> None:
    assert shop.settings.currency == "EUR"
    default = shop.create_product()
    assert default.json()["currency"] == "EUR"
    explicit = shop.create_product(currency="usd")
    assert explicit.json()["currency"] == "USD"
    view = shop.read(f"/products/{explicit.json()['id']}", after=explicit)
    assert view.json()["currency"] == "USD"
    # Leaving the currency out of an update keeps the product's: never re-denominated.
    revised = put(shop, explicit.json()["id"], '"1"', price=1999)
    assert revised.status_code == 200, revised.text
    assert (revised.json()["currency"], revised.json()["version"]) == ("USD", 1)  # no change


# -- versions: If-Match and ETag ----------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(shop: ShopUnderTest) -> None:
    product_id = shop.create_product(price=100).json()["id"]
    assert put(shop, product_id, '"1"', price=200).status_code == 200
    for stale in ('"1"', "1", 'W/"1"', '"7"'):
        answer = put(shop, product_id, stale, price=300)
        assert_json_error(answer, 412)
    stale_delete = shop.http.delete(
        f"/products/{product_id}", headers={**shop.admin(), "If-Match": '"1"'}
    )
    assert_json_error(stale_delete, 412)
    stored = shop.services.shop.load(Product, uuid.UUID(product_id))
    assert (stored.price, stored.version, stored.delisted) == (200, 2, False)


def test_current_if_match_is_accepted_and_bumps_the_version(shop: ShopUnderTest) -> None:
    created = shop.create_product(price=100)
    product_id = created.json()["id"]
    etag = shop.read(f"/products/{product_id}", after=created).headers["ETag"]
    assert etag == '"1"'
    answer = put(shop, product_id, etag, price=200)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["version"], answer.headers["ETag"]) == (2, '"2"')
    for accepted, version in (('W/"2"', 3), ("3", 4), ("*", 5)):
        answer = put(shop, product_id, accepted, price=200 + version)
        assert answer.status_code == 200, (accepted, answer.text)
        assert answer.json()["version"] == version
    deleted = shop.http.delete(
        f"/products/{product_id}", headers={**shop.admin(), "If-Match": '"5"'}
    )
    assert deleted.status_code == 204, deleted.text


def test_changing_stock_needs_if_match_so_reservations_are_not_undone(
    shop: ShopUnderTest,
) -> None:
    product_id = shop.create_product(stock=3).json()["id"]
    product = shop.services.shop.load(Product, uuid.UUID(product_id))
    product.reserve(uuid.uuid4(), 2)  # a checkout took two meanwhile
    shop.services.shop.store(product)
    # A form read before that checkout still says 3: without If-Match it may not set stock.
    answer = put(shop, product_id, None, stock=3, description="Fixed typo")
    assert_json_error(answer, 428)
    stored = shop.services.shop.load(Product, uuid.UUID(product_id))
    assert (stored.stock, stored.description) == (1, "Short and stout")
    # An edit that leaves stock as it is needs no version; one that names it may change it.
    assert put(shop, product_id, None, stock=1, description="Fixed typo").status_code == 200
    answer = put(shop, product_id, f'"{stored.version + 1}"', stock=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stock"] == 10


def test_malformed_if_match_is_400(shop: ShopUnderTest) -> None:
    product_id = shop.create_product().json()["id"]
    for bad in ('"abc"', "v1", '"1", "2"', "-1", '""'):
        assert_json_error(put(shop, product_id, bad, price=1), 400)
        answer = shop.http.delete(
            f"/products/{product_id}", headers={**shop.admin(), "If-Match": bad}
        )
        assert_json_error(answer, 400)
    assert shop.services.shop.load(Product, uuid.UUID(product_id)).version == 1


# -- racing writers -----------------------------------------------------------------------------


def test_two_saves_of_the_same_version_one_wins(shop: ShopUnderTest) -> None:
    app = shop.services.shop
    product_id = uuid.UUID(shop.create_product(stock=10).json()["id"])
    for round_ in range(5):
        first, second = app.load(Product, product_id), app.load(Product, product_id)
        initial = first.version
        first.reserve(uuid.uuid4(), 1)
        second.reserve(uuid.uuid4(), 1)
        app.store(first)
        try:
            app.store(second)
        except ConcurrentUpdate:
            pass
        else:
            raise AssertionError(f"round {round_}: both saves of version {initial} succeeded")
        stored = app.load(Product, product_id)
        assert (stored.version, stored.stock) == (initial + 1, 10 - (round_ + 1))


def test_concurrent_puts_with_the_same_if_match(shop: ShopUnderTest) -> None:
    """Two admins save the same version at once: exactly one wins, nothing is lost.

    The loser gets 409 when both loaded the same version (the store refuses the second save)
    or 412 when it loaded after the winner's save (its If-Match is stale by then).
    """
    product_id = shop.create_product(price=100).json()["id"]
    headers = shop.admin()
    outcomes: list[tuple[int, int]] = []
    with (
        httpx.Client(base_url=shop.url, timeout=30) as one,
        httpx.Client(base_url=shop.url, timeout=30) as two,
    ):
        for round_ in range(10):
            version = shop.services.shop.load(Product, uuid.UUID(product_id)).version
            barrier = threading.Barrier(2)
            answers: dict[int, httpx.Response] = {}

            def save(
                client: httpx.Client,
                price: int,
                version: int = version,
                barrier: threading.Barrier = barrier,
                answers: dict[int, httpx.Response] = answers,
            ) -> None:
                barrier.wait()
                answers[price] = client.put(
                    f"/products/{product_id}",
                    json=product_body(price=price),
                    headers={**headers, "If-Match": f'"{version}"'},
                )

            prices = (1000 + 2 * round_, 1001 + 2 * round_)
            threads = [
                threading.Thread(target=save, args=(client, price))
                for client, price in zip((one, two), prices, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            statuses = sorted(answer.status_code for answer in answers.values())
            assert len(statuses) == 2 and statuses[0] == 200, {
                p: (a.status_code, a.text) for p, a in answers.items()
            }
            assert statuses[1] in (409, 412), {p: a.text for p, a in answers.items()}
            outcomes.append((statuses[1], version))
            winner = next(p for p, a in answers.items() if a.status_code == 200)
            stored = shop.services.shop.load(Product, uuid.UUID(product_id))
            assert (stored.version, stored.price) == (version + 1, winner)
    assert [version for _, version in outcomes] == list(range(1, 11))
