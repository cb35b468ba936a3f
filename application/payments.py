"""The payment port: what the workflows need from a payment provider, and how it fails.

infra/payments.py implements it with the Stripe SDK (against Stripe or the localstripe
emulator); unit tests implement it with an in-memory fake. No SDK type crosses this line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

CardOutcome = Literal["success", "decline"]


class PaymentError(Exception):
    """Base of every error this gateway raises."""


class PaymentDeclined(PaymentError):
    """The card was declined: the customer should try another payment method."""

    def __init__(self, message: str, code: str | None = None, payment_intent_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.payment_intent_id = payment_intent_id


class PaymentProviderUnavailable(PaymentError):
    """Stripe could not be reached, timed out, rate-limited us or failed (5xx): answer 503."""


class PaymentRequestRejected(PaymentError):
    """Stripe refused the request (4xx other than a decline): a bug or bad state, not transient."""

    def __init__(self, message: str, http_status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.code = code


class NotEmulatedError(PaymentError):
    """A test-only operation was asked of real Stripe."""


class WebhookSignatureError(PaymentError):
    """A webhook body that is unsigned, badly signed, stale or not a Stripe event: answer 400."""


@dataclass(frozen=True, slots=True)
class PaymentIntentRef:
    id: str
    client_secret: str | None
    status: str
    amount: int
    currency: str
    failure_reason: str | None = None  # last_payment_error's message, after a decline


@dataclass(frozen=True, slots=True)
class RefundRef:
    id: str
    amount: int
    status: str | None
    key: str | None = None  # the idempotency key we created it with (kept in its metadata)
    created: int | None = None  # when Stripe created it (Unix time)


class PaymentPort(Protocol):
    """The provider operations the workflows call; idempotency keys come from our own ids."""

    @property
    def is_emulated(self) -> bool: ...

    def create_payment_intent(
        self, order_id: str, amount: int, currency: str, customer_ref: str
    ) -> PaymentIntentRef: ...

    def retrieve_payment_intent(self, pi_id: str) -> PaymentIntentRef: ...

    def cancel_payment_intent(self, pi_id: str, idempotency_key: str) -> PaymentIntentRef: ...

    def refund(self, pi_id: str, amount: int, idempotency_key: str) -> RefundRef: ...

    def list_refunds(self, pi_id: str) -> list[RefundRef]:
        """Every refund of the PaymentIntent, so a refund whose answer was lost can be found
        by the key it was made with."""
        ...

    def confirm_for_testing(self, pi_id: str, outcome: CardOutcome) -> PaymentIntentRef: ...

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> dict[str, Any]: ...
