"""Snapshots and the aggregate cache change how much is read, never what is loaded.

For any sequence of shop commands (with writes that bypass this process's cache, as another
process's would, and cache evictions in between), every aggregate type that has snapshots
loads to exactly the state that replaying all of its events gives. Small snapshot intervals
and a small fast-forward limit make every path (snapshot, cache hit, stale cache rebuilt
from its snapshot, snapshot written after a long replay) run many times. In memory: no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import Any, ClassVar
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.accounts import ROLES, Account
from domain.carts import Cart, cart_id_for
from domain.errors import DomainError
from domain.products import Product
from domain.repository import replay
from domain.shop import Shop

INTERVAL = 3


class SmallIntervals(Shop):
    name = "shop"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Product: INTERVAL,
        Account: INTERVAL,
        Cart: INTERVAL,
    }


def new_shop(cache: bool = True) -> Shop:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if cache:
        env["AGGREGATE_CACHE_MAXSIZE"] = "100"
    shop = SmallIntervals(env=env)
    shop.bounded_repository.fastforward_limit = 4
    return shop


def state(aggregate: Any) -> dict[str, Any]:
    return {key: value for key, value in vars(aggregate).items() if key != "_pending_events"}


def replayed(shop: Shop, aggregate_id: UUID) -> dict[str, Any]:
    """The aggregate from all of its events, with neither snapshot nor cache."""
    return state(replay(None, shop.events.get(aggregate_id)))


def latest(shop: Shop, aggregate_id: UUID) -> int:
    """The stored version, read past this process's cache (as another process would)."""
    (last,) = shop.events.get(aggregate_id, desc=True, limit=1)
    return last.originator_version


# -- the property -------------------------------------------------------------------------------

USERS = [UUID(int=1), UUID(int=2)]

commands = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 1), st.integers(0, 2), st.integers(1, 3)),
        st.tuples(st.just("remove"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("checkout"), st.integers(0, 1)),
        st.tuples(st.just("cancel_last"), st.integers(0, 1)),
        st.tuples(st.just("restock"), st.integers(0, 2), st.integers(0, 20)),
        st.tuples(st.just("role"), st.integers(0, 1), st.sampled_from(ROLES)),
        st.tuples(st.just("elsewhere"), st.integers(0, 2), st.integers(0, 20)),
        st.tuples(st.just("evict"), st.integers(0, 2)),
        st.tuples(st.just("check")),
    ),
    max_size=40,
)


def run(shop: Shop, products: list[UUID], command: tuple[Any, ...], orders: list[UUID]) -> None:
    kind, *args = command
    if kind == "add":
        shop.add_to_cart(USERS[args[0]], products[args[1]], args[2])
    elif kind == "remove":
        shop.remove_from_cart(USERS[args[0]], products[args[1]])
    elif kind == "checkout":
        order, _, _ = shop.place_order(USERS[args[0]], uuid.uuid4())
        orders.append(order.id)
    elif kind == "cancel_last" and orders:
        shop.cancel_order(orders[-1], "changed my mind", "test")
    elif kind == "restock":
        product = shop.load(Product, products[args[0]])
        shop.revise_product(
            product.id,
            product.version,
            name=product.name,
            description=product.description,
            price=product.price,
            currency=product.currency,
            stock=args[1],
        )
    elif kind == "role":
        shop.change_role(USERS[args[0]], args[1])
    elif kind == "elsewhere":
        # Another process's write: from an aggregate this process's cache never saw.
        product = shop.load(Product, products[args[0]], version=latest(shop, products[args[0]]))
        product.revise(product.name, "elsewhere", product.price + 1, product.currency, args[1])
        shop.store(product)
    elif kind == "evict":
        cache = shop.repository.cache
        assert cache is not None
        for aggregate_id in (products[args[0]], *USERS):
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_snapshot_and_cached_loads_equal_full_replays(script: list[tuple[Any, ...]]) -> None:
    shop = new_shop()
    try:
        for user in USERS:
            shop.open_account(user, "shopper")
        products = [
            shop.list_product(name=f"P{i}", description="", price=100, currency="EUR", stock=9)[
                0
            ].id
            for i in range(3)
        ]
        orders: list[UUID] = []
        for command in script:
            # Refused commands record nothing; the property is about what was stored.
            with suppress(DomainError):
                run(shop, products, command, orders)
            if command[0] == "check":  # between checks, cached copies fall several events behind
                assert_loads_equal_replays(shop, products)
        assert_loads_equal_replays(shop, products)
    finally:
        shop.close()


def assert_loads_equal_replays(shop: Shop, products: list[UUID]) -> None:
    ids = [*products, *USERS, *(shop.current_cart_id(user) for user in USERS)]
    ids += [cart_id_for(user) for user in USERS]
    for aggregate_id in ids:
        if not list(shop.events.get(aggregate_id, limit=1)):
            continue  # a cart not opened yet
        full = replayed(shop, aggregate_id)
        assert state(shop.repository.get(aggregate_id)) == full
        # A load at a version skips the cache: the latest snapshot plus what follows.
        assert state(shop.repository.get(aggregate_id, version=full["_version"])) == full


# -- the paths themselves ------------------------------------------------------------------------


def counting_reads(shop: Shop) -> Callable[[], int]:
    """Count the stored events (and snapshots) the recorders return from here on."""
    returned = [0]
    recorders = [shop.events.recorder]
    if shop.snapshots is not None:
        recorders.append(shop.snapshots.recorder)
    for recorder in recorders:
        original = recorder.select_events

        def select_events(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            events = _original(*args, **kwargs)
            returned[0] += len(events)
            return events

        recorder.select_events = select_events  # type: ignore[method-assign]
    return lambda: returned[0]


def test_a_long_history_written_before_snapshots_is_replayed_once() -> None:
    """A product with a long stored history and no snapshot (earlier releases) is replayed in
    full once; that load writes the snapshot, and later loads read from it."""
    shop = Shop(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    product, _ = shop.list_product(name="Old", description="", price=1, currency="EUR", stock=10**6)
    loaded = shop.load(Product, product.id)
    for _ in range(130):
        loaded.reserve(uuid.uuid4(), 1)
    # Stored as earlier code stored it: events only, no snapshot.
    shop.events.put(loaded.collect_events())
    assert shop.snapshots is not None
    assert list(shop.snapshots.get(product.id)) == []

    reads = counting_reads(shop)
    first = shop.load(Product, product.id)
    assert reads() == 131
    again = shop.load(Product, product.id)
    assert reads() == 131 + 1  # just the snapshot
    assert [s.originator_version for s in shop.snapshots.get(product.id)] == [131]
    assert state(first) == state(again) == replayed(shop, product.id)
    assert again.stock == 10**6 - 130


def test_a_cached_copy_far_behind_is_rebuilt_from_the_snapshot() -> None:
    shop = new_shop()
    product, _ = shop.list_product(name="P", description="", price=1, currency="EUR", stock=99)
    shop.load(Product, product.id)  # cached at version 1
    for _ in range(10):  # another process sells ten times
        elsewhere = shop.load(Product, product.id, version=latest(shop, product.id))
        elsewhere.reserve(uuid.uuid4(), 1)
        shop.store(elsewhere)
    reads = counting_reads(shop)
    loaded = shop.load(Product, product.id)
    assert (loaded.version, loaded.stock) == (11, 89)
    # 4 events (the fast-forward limit) show the copy is too far behind; then the latest
    # snapshot (version 9) and the 2 events after it.
    assert reads() == 4 + 1 + 2
    assert state(loaded) == replayed(shop, product.id)


def test_a_cart_snapshot_keeps_its_lines_by_product_id() -> None:
    shop = new_shop(cache=False)
    user, teapot, cup = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    cart = Cart.open(user, uuid.uuid4())
    cart.add(teapot, 2, in_stock=5)
    cart.add(cup, 1, in_stock=5)  # version 3: a snapshot
    shop.store(cart)
    assert shop.snapshots is not None
    (snapshot,) = shop.snapshots.get(cart.id)
    loaded = shop.load(Cart, cart.id)
    assert loaded.lines == {teapot: 2, cup: 1}
    assert state(loaded) == replayed(shop, cart.id)
    assert snapshot.originator_version == 3
