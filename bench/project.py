"""The bench's one adapter to the project: every import of project code is here.

The harness drives the shop through its HTTP API and its entry points (`shop serve`,
`shop worker`); only set-up that the product does in-process too (an admin account, a fast
seeded history, replays, positions) goes through these functions. When the project changes
shape, this is the file to adapt.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from application.payments import (
    CardOutcome,
    PaymentIntentRef,
    PaymentRequestRejected,
    RefundRef,
    WebhookSignatureError,
)
from infra.read_store import ViewPositions
from infra.settings import Settings, load_settings

JWT_SECRET = "bench-secret-" + "b" * 40
BCRYPT_ROUNDS = 4  # accounts are set-up, never timed: keep registering and logging in cheap
# The bench is one client creating and signing in many accounts: per-client limits off.
BENCH_RATE_LIMITS = {
    f"rate_limit_{name}": "1000000/minute"
    for name in ("login", "login_account", "register", "refresh", "webhook", "dev")
}
# libpq reads PGAPPNAME, so pg_stat_activity tells the processes apart.
GATEWAY_APP_NAME = "bench-gateway"
WORKER_APP_NAME = "bench-worker"
HARNESS_APP_NAME = "bench-harness"
# Set by the harness for its own in-process work; never passed on to the servers.
_HARNESS_ONLY = ("PGAPPNAME", "AGGREGATE_CACHE_MAXSIZE", "AGGREGATE_CACHE_FASTFORWARD")


def settings_for(
    event_store_url: str, read_store_url: str, redis_url: str, namespace: str
) -> Settings:
    return load_settings(
        event_store_url=event_store_url,
        read_store_url=read_store_url,
        redis_url=redis_url,
        redis_namespace=namespace,
        jwt_secret=JWT_SECRET,
        bcrypt_rounds=BCRYPT_ROUNDS,
        **BENCH_RATE_LIMITS,
    )


def settings_from_env() -> Settings:
    """A bench process's settings, from the environment `process_env` gave it."""
    return load_settings()


def clean_env() -> dict[str, str]:
    """This process's environment without any shop setting, so a child sees only ours."""
    names = {name.upper() for name in Settings.model_fields} | set(_HARNESS_ONLY)
    env = {key: value for key, value in os.environ.items() if key not in names}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    return env


def process_env(settings: Settings, app_name: str, **extra: str) -> dict[str, str]:
    """The environment of a process on the shop's stores (a gateway, the worker, a bench
    helper), as `make run` would give it; `app_name` names its PostgreSQL connections."""
    env = clean_env()
    env.update(
        EVENT_STORE_URL=settings.event_store_url,
        READ_STORE_URL=settings.read_store_url,
        REDIS_URL=settings.redis_url or "",
        REDIS_NAMESPACE=settings.redis_namespace,
        JWT_SECRET=settings.jwt_secret,
        BCRYPT_ROUNDS=str(settings.bcrypt_rounds),
        PGAPPNAME=app_name,
        **{name.upper(): str(getattr(settings, name)) for name in BENCH_RATE_LIMITS},
    )
    env.update(extra)
    return env


def gateway_command(port: int, payments: str) -> list[str]:
    """`shop serve gateway` itself for the emulator-backed run; the bench's runner (the same
    gateway and uvicorn options, payments replaced in-process) for the instant stand-in."""
    if payments == "emulator":
        return [sys.executable, "-m", "entrypoints.cli", "serve", "gateway", "--port", str(port)]
    return [sys.executable, "-m", "bench.serve", "project", "--port", str(port)]


def watcher_command() -> list[str]:
    return [sys.executable, "-m", "bench.watch_positions"]


def worker_command(health_port: int) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", "worker", "--health-port", str(health_port)]


# -- the instant payment stand-in --------------------------------------------------------------


class InstantPayments:
    """A PaymentPort that answers at once from memory: the checkout figure without the
    provider's latency. Only the bench's runner installs it, never the product."""

    is_emulated = False

    def __init__(self) -> None:
        self._intents: dict[str, PaymentIntentRef] = {}

    def create_payment_intent(
        self, order_id: str, amount: int, currency: str, customer_ref: str
    ) -> PaymentIntentRef:
        pi_id = f"pi_bench_{uuid.UUID(order_id).hex}"
        intent = PaymentIntentRef(
            pi_id, f"{pi_id}_secret_bench", "requires_payment_method", amount, currency.lower()
        )
        self._intents[pi_id] = intent
        return intent

    def retrieve_payment_intent(self, pi_id: str) -> PaymentIntentRef:
        try:
            return self._intents[pi_id]
        except KeyError:
            raise PaymentRequestRejected(f"no such payment intent: {pi_id}", 404) from None

    def cancel_payment_intent(self, pi_id: str, idempotency_key: str) -> PaymentIntentRef:
        raise PaymentRequestRejected("the bench's stand-in does not cancel", 400)

    def refund(self, pi_id: str, amount: int, idempotency_key: str) -> RefundRef:
        raise PaymentRequestRejected("the bench's stand-in does not refund", 400)

    def list_refunds(self, pi_id: str) -> list[RefundRef]:
        return []

    def confirm_for_testing(self, pi_id: str, outcome: CardOutcome) -> PaymentIntentRef:
        raise PaymentRequestRejected("the bench's stand-in does not confirm", 400)

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> dict[str, Any]:
        raise WebhookSignatureError("the bench's stand-in takes no webhooks")


def instant_payments_gateway() -> Any:
    """The ASGI app `shop serve gateway` runs, with its payment port replaced in-process."""
    from entrypoints.gateway import create_gateway

    gateway = create_gateway()
    services = gateway.command.state.services
    services.payments = InstantPayments()  # shadows the cached property on this instance
    return gateway


# -- in-process set-up ---------------------------------------------------------------------------


@contextmanager
def services(settings: Settings, aggregate_cache: bool = False) -> Iterator[Any]:
    """The project's Services for the harness's own set-up (closed on exit). With
    `aggregate_cache`, the event-sourced application keeps loaded aggregates (and reads only
    newer events): seeding a long history then costs one load, not one per command."""
    from infra.schema import migrate
    from infra.services import Services

    migrate(settings)  # what `shop migrate` does before a deployment's processes start
    saved = os.environ.get("AGGREGATE_CACHE_MAXSIZE")
    if aggregate_cache:
        os.environ["AGGREGATE_CACHE_MAXSIZE"] = "1000"
    try:
        built = Services(settings)
    finally:
        if aggregate_cache:
            if saved is None:
                os.environ.pop("AGGREGATE_CACHE_MAXSIZE", None)
            else:
                os.environ["AGGREGATE_CACHE_MAXSIZE"] = saved
    try:
        built.setup()
        yield built
    finally:
        built.close()


def create_admin(services: Any, username: str, password: str) -> None:
    """What `shop users create-admin` does."""
    services.accounts.register(username, f"{username}@example.com", password, role="admin")


def create_account(services: Any, username: str, password: str, bcrypt_rounds: int) -> None:
    """A shopper whose password is hashed at `bcrypt_rounds` (its sign-ins cost that much)."""
    from infra.accounts import AccountStore
    from infra.security import Passwords

    store = AccountStore(services.shop, Passwords(bcrypt_rounds))
    store.register(username, f"{username}@example.com", password)


def sign_webhook(payload: bytes, secret: str) -> str:
    """A Stripe-Signature header for `payload`, as Stripe signs it."""
    from infra.payments import sign_for_testing

    return sign_for_testing(payload, secret)


def receipt_events(services: Any, stripe_event_id: str) -> int:
    """How many events the receipt of this Stripe event holds (its stream's length)."""
    from domain.payment_records import StripeEventReceipt, receipt_id_for

    receipt = services.shop.find(StripeEventReceipt, receipt_id_for(stripe_event_id))
    return int(receipt.version) if receipt is not None else 0


def seed_sales(services: Any, product_id: uuid.UUID, count: int) -> None:
    """`count` sales recorded on the product's own stream, one transaction each, as
    checkouts record them (so snapshot intervals, if any, fall where they would), without
    the orders: only the product's history is being made long."""
    from domain.products import Product

    product = services.shop.load(Product, product_id)
    for _ in range(count):
        product.reserve(uuid.uuid4(), 1)
        services.shop.save(product)


def seed_orders(services: Any, user_id: uuid.UUID, product_id: uuid.UUID, count: int) -> None:
    """`count` real orders of one shopper for the product, through the shop's own commands."""
    for _ in range(count):
        services.shop.add_to_cart(user_id, product_id, 1)
        services.shop.place_order(user_id, uuid.uuid4())


def store_position(services: Any) -> int:
    return int(services.shop.position())


def views(settings: Settings) -> list[tuple[str, bool]]:
    """Every projection the worker runs: (name, kept in Redis)."""
    from projections.registry import projections_for

    return [(p.name, p.kind == "redis") for p in projections_for(settings)]


@contextmanager
def view_positions(settings: Settings) -> Iterator[ViewPositions]:
    """Reads each view's stored position (what read-your-writes waits on), on one connection."""
    from infra.db import make_engine
    from infra.services import make_redis

    engine = make_engine(settings.read_store_url, pool_size=1)
    redis = make_redis(settings.redis_url) if settings.redis_url else None
    try:
        yield ViewPositions(engine, redis, settings.redis_namespace)
    finally:
        engine.dispose()
        if redis is not None:
            redis.close()


def wait_caught_up(services: Any, timeout: float = 300.0) -> int:
    """Block until every view has reached the event store's newest position; returns it.
    Waits on the stored positions (as read-your-writes does), never on a guess."""
    target = store_position(services)
    deadline = time.monotonic() + timeout
    with view_positions(services.settings) as positions:
        names = views(services.settings)
        while True:
            behind = [n for n, redis in names if positions.position(n, in_redis=redis) < target]
            if not behind:
                return target
            if time.monotonic() > deadline:
                raise TimeoutError(f"views {behind} did not reach position {target}")
            time.sleep(0.05)


def product_key_template(namespace: str) -> str:
    """The Redis hash of a product in the hot view, with `{id}` for the product id."""
    from projections.product_cache import ProductCache

    return ProductCache(namespace).key("{id}")


def view_tables() -> dict[str, str]:
    """The SQL tables the bare read app reads: the same rows the query API serves."""
    from projections.catalog import catalog_products
    from projections.orders import order_history

    return {"catalog": catalog_products.name, "history": order_history.name}


# -- replay ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replayed:
    name: str
    events: int
    seconds: float


def sql_view_names(settings: Settings) -> list[str]:
    return [name for name, redis in views(settings) if not redis]


def replay_into(services: Any, name: str, read_store_url: str, until: int) -> Replayed:
    """`shop projections replay NAME --into URL` up to `until`."""
    from workers.analysis import replay_into as replay

    result = replay(services, name, read_store_url, until=until)
    return Replayed(name, result.events, result.seconds)


def raw_read_and_decode(services: Any, until: int, page: int = 500) -> Replayed:
    """The baseline: read the notification log in pages and decode every event, no writes."""
    recorder, mapper = services.shop.recorder, services.shop.mapper
    started = time.perf_counter()
    position = events = 0
    while position < until:
        notifications = recorder.select_notifications(
            start=position, limit=page, stop=until, inclusive_of_start=False
        )
        if not notifications:
            break
        for notification in notifications:
            mapper.to_domain_event(notification)
        events += len(notifications)
        position = notifications[-1].id
    return Replayed("raw read + decode", events, time.perf_counter() - started)
