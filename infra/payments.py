"""The shop's only door to Stripe (or to the localstripe emulator in development and tests).

This is the one module that imports `stripe`: callers get small dataclasses and our own
exceptions, so no SDK object or error type leaks into the domain, and a different SDK major
version touches one file. Idempotency keys are derived from our ids, never random, because a
retried command must not charge twice (on real Stripe; the emulator ignores the keys).
"""

from __future__ import annotations

import time
from typing import Any

import stripe

from application.payments import (
    CardOutcome,
    NotEmulatedError,
    PaymentDeclined,
    PaymentError,
    PaymentIntentRef,
    PaymentProviderUnavailable,
    PaymentRequestRejected,
    RefundRef,
    WebhookSignatureError,
)
from infra.settings import Settings
from infra.stripe_budget import StripeBudget

__all__ = [
    "NotEmulatedError",
    "PaymentDeclined",
    "PaymentError",
    "PaymentGateway",
    "PaymentIntentRef",
    "PaymentProviderUnavailable",
    "PaymentRequestRejected",
    "RefundRef",
    "WebhookSignatureError",
    "sign_for_testing",
]

# Stripe's magic test payment methods; both behave the same on real Stripe (test mode) and on
# localstripe. 4000000000000002 ("chargeDeclined") would *succeed* on the emulator.
WEBHOOK_TOLERANCE_SECONDS = 300
_TEST_PAYMENT_METHODS: dict[str, str] = {
    "success": "pm_card_visa",
    "decline": "pm_card_chargeCustomerFail",
}


def _translate(error: stripe.StripeError) -> PaymentError:
    """Map an SDK error onto the three outcomes callers act on."""
    status = error.http_status
    message = error.user_message or str(error) or type(error).__name__
    code = error.code
    if isinstance(error, stripe.CardError):
        body = error.json_body if isinstance(error.json_body, dict) else {}
        intent = (body.get("error") or {}).get("payment_intent") or {}
        return PaymentDeclined(
            message, code, intent.get("id") if isinstance(intent, dict) else None
        )
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return PaymentProviderUnavailable(message)
    if status is None or status >= 500:
        return PaymentProviderUnavailable(message)
    return PaymentRequestRejected(message, status, code)


def _intent_ref(intent: Any) -> PaymentIntentRef:
    error = getattr(intent, "last_payment_error", None)
    return PaymentIntentRef(
        id=intent.id,
        client_secret=getattr(intent, "client_secret", None),
        status=intent.status,
        amount=int(intent.amount),
        currency=str(intent.currency).lower(),
        failure_reason=(getattr(error, "message", None) or "payment failed") if error else None,
    )


def _refund_ref(refund: Any) -> RefundRef:
    metadata = getattr(refund, "metadata", None)
    key = metadata.to_dict().get("idempotency_key") if metadata is not None else None
    created = getattr(refund, "created", None)
    return RefundRef(
        id=refund.id,
        amount=int(refund.amount),
        status=refund.status,
        key=key if isinstance(key, str) else None,
        created=created if isinstance(created, int) else None,
    )


class PaymentGateway:
    """Holds one long-lived StripeClient (connection reuse, SDK retries) built from Settings."""

    def __init__(
        self,
        settings: Settings,
        http_client: stripe.HTTPClient | None = None,
        budget: StripeBudget | None = None,
    ) -> None:
        """`budget`: every call is counted in it (checkout and reconciliation share it)."""
        self._settings = settings
        self._budget = budget
        base = settings.stripe_api_base
        self._client = stripe.StripeClient(
            settings.stripe_secret_key,
            # A trailing "/" on the base makes every call a 404.
            base_addresses={"api": base.rstrip("/")} if base else None,
            stripe_version=settings.stripe_api_version,
            max_network_retries=settings.stripe_network_retries,
            # The SDK default waits 80 s for an answer; fail fast enough to answer 503 instead.
            http_client=http_client
            or stripe.RequestsClient(timeout=(5, settings.stripe_timeout_seconds)),
        )

    def _spend(self) -> None:
        if self._budget is not None:
            self._budget.spend()

    @property
    def is_emulated(self) -> bool:
        return self._settings.stripe_is_emulated

    def create_payment_intent(
        self, order_id: str, amount: int, currency: str, customer_ref: str
    ) -> PaymentIntentRef:
        """One PaymentIntent per order; the order id is the idempotency key and in the metadata."""
        if amount <= 0:
            raise ValueError("amount must be a positive number of minor units")
        self._spend()
        try:
            intent = self._client.v1.payment_intents.create(
                {
                    "amount": amount,
                    "currency": currency.lower(),
                    # Pinned API version 2024-06-20 and the emulator take this name; the SDK's
                    # params type follows its own newer version (allowed_payment_method_types).
                    "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
                    "metadata": {"order_id": order_id, "customer_ref": customer_ref},
                },
                {"idempotency_key": f"order-{order_id}"},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent_ref(intent)

    def retrieve_payment_intent(self, pi_id: str) -> PaymentIntentRef:
        """The provider's current view, for reconciling when a webhook is late or lost."""
        self._spend()
        try:
            intent = self._client.v1.payment_intents.retrieve(pi_id)
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent_ref(intent)

    def cancel_payment_intent(self, pi_id: str, idempotency_key: str) -> PaymentIntentRef:
        """Cancel an unpaid intent (no cancellation_reason: the emulator rejects it)."""
        self._spend()
        try:
            intent = self._client.v1.payment_intents.cancel(
                pi_id, None, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _intent_ref(intent)

    def refund(self, pi_id: str, amount: int, idempotency_key: str) -> RefundRef:
        """Refund `amount` minor units of a succeeded intent (no reason: the emulator rejects it).

        The emulator lets refunds exceed the charge: the caller must cap them itself.
        """
        if amount <= 0:
            raise ValueError("refund amount must be positive")
        self._spend()
        try:
            refund = self._client.v1.refunds.create(
                # The key in the metadata too: the emulator ignores idempotency keys, and a
                # refund whose answer was lost is found again by it (list_refunds).
                {
                    "payment_intent": pi_id,
                    "amount": amount,
                    "metadata": {"idempotency_key": idempotency_key},
                },
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise _translate(error) from error
        return _refund_ref(refund)

    def list_refunds(self, pi_id: str) -> list[RefundRef]:
        """All refunds of the intent (auto-paged), for recovery and reconciliation."""
        self._spend()
        try:
            page = self._client.v1.refunds.list({"payment_intent": pi_id, "limit": 100})
            return [_refund_ref(refund) for refund in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise _translate(error) from error

    def confirm_for_testing(self, pi_id: str, outcome: CardOutcome) -> PaymentIntentRef:
        """Pay (or fail to pay) an intent with a test card: the offline storefront's stand-in.

        Only against the emulator, so it can never move real money. Attaches the card with
        update() then confirms, because confirm(payment_method=...) answers 500 on localstripe.
        A decline is an outcome here, not an error: the intent's resulting state is returned.
        """
        if not self._settings.stripe_is_emulated:
            raise NotEmulatedError("confirm_for_testing only runs against the local emulator")
        if outcome not in _TEST_PAYMENT_METHODS:
            raise ValueError(f"outcome must be one of {sorted(_TEST_PAYMENT_METHODS)}")
        intents = self._client.v1.payment_intents
        try:
            intents.update(pi_id, {"payment_method": _TEST_PAYMENT_METHODS[outcome]})
            try:
                return _intent_ref(intents.confirm(pi_id))
            except stripe.CardError:
                return _intent_ref(intents.retrieve(pi_id))
        except stripe.StripeError as error:
            raise _translate(error) from error

    def verify_webhook(self, raw_body: bytes, signature_header: str | None) -> dict[str, Any]:
        """Check the Stripe-Signature over the raw body (300 s tolerance, both ways: the SDK
        refuses old timestamps only); the event as a dict."""
        signed_at = _signed_at(signature_header)
        if signed_at is not None and signed_at > time.time() + WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookSignatureError("the signature's timestamp is in the future")
        try:
            raw_body.decode("utf-8")  # the SDK would raise UnicodeDecodeError, not its own error
            event = self._client.construct_event(
                raw_body,
                signature_header,
                self._settings.stripe_webhook_secret,
                WEBHOOK_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookSignatureError(str(error)) from None
        except (ValueError, TypeError, AttributeError) as error:
            # UnicodeDecodeError and JSONDecodeError are ValueErrors; a JSON array or a thin
            # event fails inside the SDK's event construction.
            raise WebhookSignatureError(f"not a Stripe event: {error}") from None
        result = event.to_dict()
        if not isinstance(result.get("id"), str) or not isinstance(result.get("type"), str):
            raise WebhookSignatureError("not a Stripe event: no id or type")
        return result


def _signed_at(signature_header: str | None) -> int | None:
    """The `t=` of a Stripe-Signature header, if it has one that is a number."""
    for part in (signature_header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) < 16:
            return int(value)
    return None


def sign_for_testing(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A valid Stripe-Signature header for `payload`, so tests can forge events Stripe would send.

    `timestamp` defaults to now; pass an old one to test the staleness check.
    """
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode("utf-8"),
        secret,
        int(time.time()) if timestamp is None else timestamp,
    )
