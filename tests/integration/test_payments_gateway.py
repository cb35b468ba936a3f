"""PaymentGateway against a real localstripe process, with the real SDK and no mocks.

One emulator per module (it starts in under a second); its data is flushed before every test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from entrypoints.stripe_emulator import EmulatorProcess, free_port, register_emulator_webhook
from infra.payments import (
    NotEmulatedError,
    PaymentGateway,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    WebhookSignatureError,
    sign_for_testing,
)
from infra.settings import Settings, load_settings

WEBHOOK_SECRET = "whsec_test_gateway_integration"
LOCALSTRIPE_PICKLE = Path("/tmp/localstripe.pickle")  # where stock localstripe would write


def _pickle_state() -> tuple[int, int] | None:
    try:
        stat = LOCALSTRIPE_PICKLE.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


@pytest.fixture(scope="module")
def pickle_before() -> tuple[int, int] | None:
    return _pickle_state()


@pytest.fixture(scope="module")
def emulator(pickle_before: tuple[int, int] | None) -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as process:
        yield process


@pytest.fixture(scope="module")
def settings(emulator: EmulatorProcess) -> Settings:
    return load_settings(
        jwt_secret="x" * 32,
        stripe_api_base=emulator.url,
        stripe_secret_key="sk_test_integration",
        stripe_webhook_secret=WEBHOOK_SECRET,
    )


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> PaymentGateway:
    return PaymentGateway(settings)


@pytest.fixture(autouse=True)
def _fresh_emulator(emulator: EmulatorProcess) -> None:
    emulator.flush()


def _paid_intent(gateway: PaymentGateway, order_id: str, amount: int) -> str:
    intent = gateway.create_payment_intent(order_id, amount, "EUR", "customer-1")
    assert gateway.confirm_for_testing(intent.id, "success").status == "succeeded"
    return intent.id


# --- PaymentIntents ---------------------------------------------------------------------------


def test_create_returns_client_secret_amount_and_lowercase_currency(gateway: PaymentGateway):
    intent = gateway.create_payment_intent("order-create", 1999, "EUR", "customer-1")

    assert intent.id.startswith("pi_")
    assert intent.client_secret and intent.client_secret.startswith(intent.id + "_secret_")
    assert (intent.amount, intent.currency) == (1999, "eur")
    assert intent.status == "requires_payment_method"
    assert gateway.retrieve_payment_intent(intent.id) == intent


def test_create_rejects_non_positive_amount_before_calling_stripe(gateway: PaymentGateway):
    with pytest.raises(ValueError):
        gateway.create_payment_intent("order-zero", 0, "eur", "customer-1")


def test_confirm_success_makes_the_intent_succeed(gateway: PaymentGateway):
    intent = gateway.create_payment_intent("order-success", 2500, "eur", "customer-1")

    confirmed = gateway.confirm_for_testing(intent.id, "success")

    assert confirmed.status == "succeeded"
    assert gateway.retrieve_payment_intent(intent.id).status == "succeeded"


def test_decline_is_an_outcome_not_an_error(gateway: PaymentGateway):
    intent = gateway.create_payment_intent("order-decline", 2500, "eur", "customer-1")

    declined = gateway.confirm_for_testing(intent.id, "decline")

    assert declined.id == intent.id
    assert declined.status == "requires_payment_method"
    assert gateway.retrieve_payment_intent(intent.id).status == "requires_payment_method"
    # A declined payment has nothing to refund.
    with pytest.raises(PaymentRequestRejected) as rejected:
        gateway.refund(intent.id, 100, "refund-declined")
    assert rejected.value.http_status == 400


def test_partial_then_full_refund(gateway: PaymentGateway):
    pi_id = _paid_intent(gateway, "order-refund", 1000)

    partial = gateway.refund(pi_id, 300, "refund-order-refund-1")
    rest = gateway.refund(pi_id, 700, "refund-order-refund-2")

    assert partial.id.startswith("re_") and rest.id.startswith("re_")
    assert partial.id != rest.id
    assert (partial.amount, partial.status) == (300, "succeeded")
    assert (rest.amount, rest.status) == (700, "succeeded")


def test_refund_rejects_non_positive_amount(gateway: PaymentGateway):
    with pytest.raises(ValueError):
        gateway.refund("pi_whatever", 0, "refund-zero")


def test_cancel_then_cancel_again_is_rejected(gateway: PaymentGateway):
    intent = gateway.create_payment_intent("order-cancel", 800, "eur", "customer-1")

    canceled = gateway.cancel_payment_intent(intent.id, "cancel-order-cancel")

    assert canceled.status == "canceled"
    assert gateway.retrieve_payment_intent(intent.id).status == "canceled"
    with pytest.raises(PaymentRequestRejected):
        gateway.cancel_payment_intent(intent.id, "cancel-order-cancel-again")


def test_unknown_intent_is_rejected_with_404(gateway: PaymentGateway):
    with pytest.raises(PaymentRequestRejected) as rejected:
        gateway.retrieve_payment_intent("pi_doesnotexist")
    assert rejected.value.http_status == 404


def test_unreachable_provider_is_unavailable(settings: Settings):
    dead = PaymentGateway(
        settings.model_copy(update={"stripe_api_base": f"http://127.0.0.1:{free_port()}"})
    )

    with pytest.raises(PaymentProviderUnavailable):
        dead.create_payment_intent("order-dead", 100, "eur", "customer-1")


def test_test_helpers_refuse_real_stripe(settings: Settings):
    real = settings.model_copy(update={"stripe_api_base": None})
    assert not real.stripe_is_emulated

    with pytest.raises(NotEmulatedError):
        PaymentGateway(real).confirm_for_testing("pi_anything", "success")
    with pytest.raises(NotEmulatedError):
        register_emulator_webhook(real, "http://127.0.0.1:9/webhooks/stripe")


# --- Webhook signatures -----------------------------------------------------------------------


def _event_body(event_type: str = "payment_intent.succeeded") -> bytes:
    event = {
        "id": "evt_test_1",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": {"id": "pi_test_1", "object": "payment_intent", "amount": 1000}},
    }
    return json.dumps(event, indent=2).encode()


def test_verify_accepts_a_correctly_signed_payload(gateway: PaymentGateway):
    body = _event_body()

    event = gateway.verify_webhook(body, sign_for_testing(body, WEBHOOK_SECRET))

    assert type(event) is dict
    assert event == json.loads(body)
    assert type(event["data"]["object"]) is dict


def test_verify_rejects_a_tampered_body(gateway: PaymentGateway):
    body = _event_body()
    header = sign_for_testing(body, WEBHOOK_SECRET)

    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(body.replace(b"1000", b"9000"), header)


def test_verify_rejects_a_reserialised_body(gateway: PaymentGateway):
    body = _event_body()
    header = sign_for_testing(body, WEBHOOK_SECRET)

    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(json.dumps(json.loads(body)).encode(), header)


def test_verify_rejects_a_wrong_secret(gateway: PaymentGateway):
    body = _event_body()

    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(body, sign_for_testing(body, "whsec_somebody_else"))


def test_verify_rejects_a_stale_timestamp(gateway: PaymentGateway):
    body = _event_body()
    header = sign_for_testing(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(body, header)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=notanumber,v1=abc", "t=123"])
def test_verify_rejects_a_missing_or_malformed_header(gateway: PaymentGateway, header):
    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(_event_body(), header)


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"just a string"', b"{}"])
def test_verify_rejects_signed_bodies_that_are_not_events(gateway: PaymentGateway, body: bytes):
    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(body, sign_for_testing(body, WEBHOOK_SECRET))


def test_verify_rejects_a_body_that_is_not_utf8(gateway: PaymentGateway):
    header = sign_for_testing(b"{}", WEBHOOK_SECRET)

    with pytest.raises(WebhookSignatureError):
        gateway.verify_webhook(b"\xff\xfe{}", header)


# --- A real delivery from the emulator ----------------------------------------------------------


@dataclass
class Delivery:
    body: bytes
    signature: str | None


@dataclass
class WebhookReceiver:
    """A loopback HTTP server that records deliveries and signals when one for `pi_id` arrives."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    wanted: tuple[str, str] | None = None  # (event type, PaymentIntent id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, delivery: Delivery) -> None:
        with self.lock:
            self.deliveries.append(delivery)
            try:
                event = json.loads(delivery.body)
                key = (event["type"], event["data"]["object"]["id"])
            except (ValueError, KeyError, TypeError):
                return
            if key == self.wanted:
                self.arrived.set()

    def matching(self) -> list[Delivery]:
        with self.lock:
            result = []
            for delivery in self.deliveries:
                event = json.loads(delivery.body)
                if (event["type"], event["data"]["object"]["id"]) == self.wanted:
                    result.append(delivery)
            return result


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    holder: list[WebhookReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            holder[0].record(Delivery(body, self.headers.get("Stripe-Signature")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(WebhookReceiver(url=f"http://127.0.0.1:{server.server_port}/webhooks/stripe"))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("outcome", "event_type"),
    [("success", "payment_intent.succeeded"), ("decline", "payment_intent.payment_failed")],
)
def test_emulator_delivers_a_webhook_that_verify_accepts(
    gateway: PaymentGateway,
    settings: Settings,
    receiver: WebhookReceiver,
    outcome,
    event_type: str,
):
    register_emulator_webhook(
        settings,
        receiver.url,
        events=["payment_intent.succeeded", "payment_intent.payment_failed"],
    )
    intent = gateway.create_payment_intent(f"order-webhook-{outcome}", 4200, "eur", "customer-1")
    receiver.wanted = (event_type, intent.id)

    gateway.confirm_for_testing(intent.id, outcome)

    assert receiver.arrived.wait(timeout=15), f"no {event_type} delivery within 15 s"
    [delivery] = receiver.matching()
    event = gateway.verify_webhook(delivery.body, delivery.signature)
    assert event["type"] == event_type
    assert event["id"].startswith("evt_")
    assert event["data"]["object"]["id"] == intent.id
    assert event["data"]["object"]["metadata"]["order_id"] == f"order-webhook-{outcome}"
    assert event["data"]["object"]["amount"] == 4200
    # The emulator signs with the registered secret only: another secret must not verify.
    other = PaymentGateway(settings.model_copy(update={"stripe_webhook_secret": "whsec_other"}))
    with pytest.raises(WebhookSignatureError):
        other.verify_webhook(delivery.body, delivery.signature)


# --- The launcher -------------------------------------------------------------------------------


def test_emulator_keeps_nothing_on_disk(
    gateway: PaymentGateway, emulator: EmulatorProcess, pickle_before: tuple[int, int] | None
):
    _paid_intent(gateway, "order-disk", 500)
    emulator.flush()

    assert _pickle_state() == pickle_before
    assert emulator.running


def test_emulator_binds_loopback_only(emulator: EmulatorProcess):
    assert emulator.url == f"http://127.0.0.1:{emulator.port}"
    # Bound to 127.0.0.1 itself, not a wildcard: other loopback addresses get no answer.
    for family, address in [(socket.AF_INET, "127.0.0.2"), (socket.AF_INET6, "::1")]:
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here
        with sock:
            sock.settimeout(1)
            assert sock.connect_ex((address, emulator.port or 0)) != 0, address
