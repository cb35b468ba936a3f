"""Issue 9's domain rules, without I/O: a cart line set to a quantity, product images, and
both surviving a snapshot (products and carts are snapshotted every 50 events)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.carts import MAX_LINE_QUANTITY, Cart
from domain.errors import InvalidCommand, NotFound
from domain.products import MAX_IMAGES, Product

PRODUCTS = [uuid.UUID(int=n) for n in range(1, 4)]
IMAGE = {
    "sha256": "a" * 64,
    "thumbnail_sha256": "b" * 64,
    "content_type": "image/png",
    "width": 10,
    "height": 20,
    "size": 300,
}


def new_cart() -> Cart:
    return Cart.open(uuid.uuid4(), uuid.uuid4())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PRODUCTS), st.integers(0, 60)), max_size=30))
def test_a_line_holds_the_last_quantity_set_and_zero_removes_it(
    steps: list[tuple[uuid.UUID, int]],
) -> None:
    cart = new_cart()
    expected: dict[uuid.UUID, int] = {}
    for product_id, quantity in steps:
        cart.set_quantity(product_id, quantity, in_stock=60)
        if quantity:
            expected[product_id] = quantity
        else:
            expected.pop(product_id, None)
        assert cart.lines == expected
    # Replaying the recorded events gives the same cart: the events carry the quantities.
    replayed = None
    for event in cart.collect_events():
        replayed = event.mutate(replayed)
    assert replayed is not None and replayed.lines == expected


def test_raising_must_fit_the_stock_lowering_always_works() -> None:
    cart = new_cart()
    cart.set_quantity(PRODUCTS[0], 5, in_stock=5)
    with pytest.raises(InvalidCommand, match="only 5 in stock"):
        cart.set_quantity(PRODUCTS[0], 6, in_stock=5)
    cart.set_quantity(PRODUCTS[0], 2, in_stock=0)  # the stock fell meanwhile: still fine
    with pytest.raises(InvalidCommand, match="out of stock"):
        cart.set_quantity(PRODUCTS[1], 1, in_stock=0)
    with pytest.raises(InvalidCommand):
        cart.set_quantity(PRODUCTS[0], MAX_LINE_QUANTITY + 1, in_stock=10**6)
    with pytest.raises(InvalidCommand):
        cart.set_quantity(PRODUCTS[0], -1, in_stock=5)
    assert cart.collect_events()
    cart.set_quantity(PRODUCTS[0], 2, in_stock=5)  # what is there already: nothing recorded
    cart.set_quantity(PRODUCTS[2], 0, in_stock=5)  # removing what is not there: nothing either
    assert cart.collect_events() == []
    assert cart.lines == {PRODUCTS[0]: 2}


def test_images_are_added_in_order_removed_and_limited() -> None:
    product = Product.list_new(name="Teapot", description="", price=1, currency="EUR", stock=1)
    ids = [uuid.uuid4() for _ in range(MAX_IMAGES)]
    for image_id in ids:
        product.add_image(image_id, **IMAGE)
    assert [image["id"] for image in product.images] == [str(i) for i in ids]
    with pytest.raises(InvalidCommand, match=f"at most {MAX_IMAGES}"):
        product.add_image(uuid.uuid4(), **IMAGE)
    product.remove_image(ids[0])
    assert product.images[0]["id"] == str(ids[1])  # the next one is the main image now
    with pytest.raises(NotFound):
        product.remove_image(ids[0])
    product.delist()
    with pytest.raises(NotFound):
        product.add_image(uuid.uuid4(), **IMAGE)
    # A product listed before images existed has none (the class default, never shared).
    other = Product.list_new(name="Mug", description="", price=1, currency="EUR", stock=1)
    assert other.images == [] and Product.images == []


def test_images_and_quantities_survive_snapshots() -> None:
    product = Product.list_new(name="Teapot", description="", price=1, currency="EUR", stock=1)
    product.add_image(uuid.uuid4(), **IMAGE)
    restored = Product.Snapshot.take(product).mutate(None)
    assert restored.images == product.images
    cart = new_cart()
    cart.set_quantity(PRODUCTS[0], 3, in_stock=5)
    restored_cart = Cart.Snapshot.take(cart).mutate(None)
    assert restored_cart.lines == {PRODUCTS[0]: 3}
