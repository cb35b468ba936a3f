"""One fixture chooses the backend: `sqlite` (always) and `services` (PostgreSQL + MariaDB +
Redis; required when CI=true). Every test gets fresh databases and its own Redis namespace."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from entrypoints.stripe_emulator import EmulatorProcess
from infra.schema import migrate
from infra.settings import Settings, load_settings
from tests.support.servers import RELAXED, ShopUnderTest, start_shop
from tests.support.stores import ServiceStores, services_problem

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_JWT_SECRET = "test-secret-" + "x" * 40
TEST_WEBHOOK_SECRET = "whsec_test_" + "y" * 24


@pytest.fixture(scope="session")
def service_stores() -> ServiceStores | None:
    """The real PostgreSQL/MariaDB/Redis, or None when they are unreachable outside CI."""
    problem = services_problem()
    if problem is None:
        return ServiceStores()
    if IN_CI:
        pytest.fail(f"CI=true but the services backend is unavailable: {problem}", pytrace=False)
    return None


@pytest.fixture(scope="session")
def stripe_emulator() -> Iterator[EmulatorProcess]:
    """localstripe, the real Stripe emulator, in its own process for the whole session."""
    with EmulatorProcess() as emulator:
        yield emulator


@pytest.fixture(params=["sqlite", "services"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def unmigrated_settings(
    backend: str,
    tmp_path: object,
    service_stores: ServiceStores | None,
    stripe_emulator: EmulatorProcess,
) -> Iterator[Settings]:
    """Settings naming fresh, empty stores (what `shop migrate` starts from)."""
    name = "t_" + uuid.uuid4().hex[:16]
    common: dict[str, object] = {
        "jwt_secret": TEST_JWT_SECRET,
        "bcrypt_rounds": 4,
        "read_your_writes_timeout": 10.0,
        "stripe_api_base": stripe_emulator.url,
        "stripe_webhook_secret": TEST_WEBHOOK_SECRET,
        "image_dir": f"{tmp_path}/images",
        **RELAXED,
    }
    if backend == "sqlite":
        yield load_settings(
            event_store_url=f"sqlite:///{tmp_path}/events.db",
            read_store_url=f"sqlite:///{tmp_path}/views.db",
            **common,
        )
        return
    if service_stores is None:
        pytest.skip("PostgreSQL/MariaDB/Redis not reachable (they are required when CI=true)")
    with service_stores.fresh(name) as urls:
        yield load_settings(**urls, redis_namespace=name, **common)


@pytest.fixture
def settings(unmigrated_settings: Settings) -> Settings:
    """Fresh stores, migrated as `shop migrate` leaves them before any process starts."""
    migrate(unmigrated_settings)
    return unmigrated_settings


@pytest.fixture
def shop(settings: Settings, stripe_emulator: EmulatorProcess) -> Iterator[ShopUnderTest]:
    """The real gateway over HTTP (uvicorn on a free port) plus the projection worker; the
    Stripe emulator is emptied and sends its webhooks to this shop."""
    stripe_emulator.flush()
    with start_shop(settings) as running:
        stripe_emulator.register_webhook(
            "shop", f"{running.url}/webhooks/stripe", settings.stripe_webhook_secret
        )
        yield running


@pytest.fixture
def shop_without_worker(settings: Settings) -> Iterator[ShopUnderTest]:
    with start_shop(settings, worker=False) as running:
        yield running
