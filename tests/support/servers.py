"""The shop under test: the real gateway app served by uvicorn, and the real worker."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn

from command_api.app import create_app as create_command_app
from entrypoints.gateway import Gateway
from infra.services import Services
from infra.settings import Settings
from query_api.app import create_app as create_query_app
from workers.process import ProjectionWorker

POSITION = "X-Event-Position"
RATE_LIMITS = ("login", "login_account", "register", "refresh", "webhook", "dev")
# Settings for a test's shop: generous on a loaded machine, and no rate limits in the way
# (the tests of those limits set their own).
RELAXED: dict[str, object] = {
    "request_timeout": 60.0,
    **{f"rate_limit_{name}": "100000/minute" for name in RATE_LIMITS},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll_until(predicate: object, timeout: float, what: str) -> None:
    """Poll a condition that has no event to wait on (a server binding its port)."""
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)  # the poll interval


class Worker:
    """The projection worker, in threads of this process, with its own connections."""

    def __init__(
        self, settings: Settings, lease_ttl: float = 3.0, only: list[str] | None = None
    ) -> None:
        self.services = Services(settings, pool_size=settings.worker_pool_size)
        self.stop_event = threading.Event()
        self.projections = ProjectionWorker(self.services, only, lease_ttl=lease_ttl)
        for runner in self.projections.runners:
            runner.retry_seconds = (0.2, 2.0)  # a failing test projection retries soon
        self.projections.start(self.stop_event)
        self.threads = self.projections.threads

    def stop(self) -> None:
        self.stop_event.set()
        self.projections.join(timeout=15)
        self.services.close()


@dataclass
class ShopUnderTest:
    settings: Settings
    services: Services
    url: str
    http: httpx.Client
    worker: Worker | None
    gateway: Gateway
    _admin: dict[str, str] = field(default_factory=dict)

    # -- accounts ------------------------------------------------------------------------------

    def register(
        self, username: str | None = None, password: str = "correct horse"
    ) -> dict[str, str]:
        username = username or "u" + uuid.uuid4().hex[:10]
        created = self.http.post(
            "/register",
            json={"username": username, "email": f"{username}@example.com", "password": password},
        )
        assert created.status_code == 201, created.text
        return {"username": username, "password": password, "id": created.json()["id"]}

    def login(self, username: str, password: str = "correct horse") -> dict[str, str]:
        answer = self.http.post("/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def shopper(self) -> dict[str, str]:
        account = self.register()
        return self.login(account["username"])

    def admin(self) -> dict[str, str]:
        if not self._admin:
            name = "admin" + uuid.uuid4().hex[:8]
            self.services.accounts.register(
                name, f"{name}@example.com", "admin password", role="admin"
            )
            self._admin.update(self.login(name, "admin password"))
        return dict(self._admin)

    # -- catalog -------------------------------------------------------------------------------

    def create_product(self, **fields: object) -> httpx.Response:
        body = {"name": "Teapot", "description": "Short and stout", "price": 1999, "stock": 5}
        body.update(fields)
        answer = self.http.post("/products", json=body, headers=self.admin())
        assert answer.status_code == 201, answer.text
        return answer

    def read(self, path: str, after: httpx.Response | int, **kwargs: object) -> httpx.Response:
        """GET with read-your-writes: wait until the view has passed the command's position."""
        position = after if isinstance(after, int) else int(after.headers[POSITION])
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
        headers[POSITION] = str(position)
        return self.http.get(path, headers=headers, **kwargs)  # type: ignore[arg-type]


@contextmanager
def serve(app: object) -> Iterator[str]:
    port = free_port()
    # proxy_headers off: uvicorn would trust X-Forwarded-* from this loopback client, and the
    # tests check that the shop does so only when TRUSTED_PROXY says so.
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    poll_until(lambda: server.started or not thread.is_alive(), 15, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def start_shop(settings: Settings, worker: bool = True) -> Iterator[ShopUnderTest]:
    services = Services(settings)
    gateway = Gateway(create_command_app(services), create_query_app(services))
    running_worker = Worker(settings) if worker else None
    try:
        with serve(gateway) as url, httpx.Client(base_url=url, timeout=30) as http:
            yield ShopUnderTest(settings, services, url, http, running_worker, gateway)
    finally:
        if running_worker is not None:
            running_worker.stop()
        services.close()


def wait_for_order(
    shop: ShopUnderTest, order_id: str, statuses: set[str], timeout: float = 20
) -> int:
    """Wait until Stripe's webhook has moved the order (in the event store) into one of
    `statuses`; returns the store position to read the views with."""
    from uuid import UUID

    from domain.orders import Order

    poll_until(
        lambda: shop.services.shop.load(Order, UUID(order_id)).status in statuses,
        timeout,
        f"order {order_id} to become {' or '.join(sorted(statuses))}",
    )
    return shop.services.shop.position()
