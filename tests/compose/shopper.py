"""Talking to the stack as a client would: HTTPS through the gateway, trusting the local CA."""

from __future__ import annotations

import ssl
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

POSITION = "X-Event-Position"


class CheckFailed(AssertionError):
    """A check of the running stack failed; the message says which and what was seen."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def https_client(base_url: str, ca_file: Path, timeout: float = 30.0) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(ca_file))
    return httpx.Client(base_url=base_url, verify=context, timeout=timeout)


@dataclass
class Shop:
    """One HTTPS client of the shop; commands remember their position for the next read."""

    http: httpx.Client
    position: int = 0

    def command(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        expect(
            response.status_code < 500, f"{method} {path}: {response.status_code} {response.text}"
        )
        if POSITION in response.headers:
            self.position = max(self.position, int(response.headers[POSITION]))
        return response

    def read(self, path: str, headers: dict[str, str] | None = None, within: float = 60.0) -> Any:
        """GET with read-your-writes: sends the last position; a 503 (view behind, worker being
        replaced) is retried as its Retry-After says, for at most `within` seconds."""
        deadline = time.monotonic() + within
        sent = {**(headers or {}), POSITION: str(self.position)}
        while True:
            response = self.http.get(path, headers=sent)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 2.0))
        expect(response.status_code == 200, f"GET {path}: {response.status_code} {response.text}")
        return response.json()

    # -- accounts and products ---------------------------------------------------------------

    def login(self, username: str, password: str) -> dict[str, str]:
        answer = self.command("POST", "/login", json={"username": username, "password": password})
        expect(answer.status_code == 200, f"login {username}: {answer.status_code} {answer.text}")
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def new_shopper(self) -> dict[str, str]:
        name = "c" + uuid.uuid4().hex[:10]
        password = "compose test password"
        created = self.command(
            "POST",
            "/register",
            json={"username": name, "email": f"{name}@example.com", "password": password},
        )
        expect(created.status_code == 201, f"register: {created.status_code} {created.text}")
        return self.login(name, password)

    def new_product(self, admin: dict[str, str], price: int, stock: int) -> str:
        body = {"name": "Compose teapot", "description": "", "price": price, "stock": stock}
        created = self.command("POST", "/products", json=body, headers=admin)
        expect(created.status_code == 201, f"create product: {created.status_code} {created.text}")
        return str(created.json()["id"])

    # -- buying ------------------------------------------------------------------------------

    def place_and_pay(self, who: dict[str, str], product_id: str, quantity: int = 1) -> str:
        """Cart, checkout, and the emulator's payment; returns the order id (payment pending
        until the emulator's webhook arrives)."""
        line = self.command(
            "POST", "/cart", json={"product_id": product_id, "quantity": quantity}, headers=who
        )
        expect(line.status_code == 201, f"add to cart: {line.status_code} {line.text}")
        key = {"Idempotency-Key": uuid.uuid4().hex}
        checkout = self.command("POST", "/checkout", headers={**who, **key})
        expect(checkout.status_code == 201, f"checkout: {checkout.status_code} {checkout.text}")
        order_id = str(checkout.json()["order_id"])
        paid = self.command(
            "POST", f"/dev/payments/{order_id}/confirm", json={"outcome": "success"}, headers=who
        )
        expect(paid.status_code == 202, f"pay: {paid.status_code} {paid.text}")
        return order_id

    def wait_until_paid(self, who: dict[str, str], order_id: str, within: float = 90.0) -> dict:
        """The emulator's webhook arrives on its own time (about 1 s, longer while a worker is
        replaced), so this polls the order view; each read still waits for our own position."""
        deadline = time.monotonic() + within
        while True:
            order = self.read(f"/orders/{order_id}", headers=who, within=within)
            if order["status"] != "pending_payment" or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the poll interval of the webhook wait (not a projection wait)
        expect(order["status"] == "paid", f"order {order_id} is {order['status']}, not paid")
        return dict(order)
