"""How a failure at the payment provider is answered: 503 when it is unreachable (try again),
502 when it refused our request."""

from __future__ import annotations

from fastapi import HTTPException

from application.payments import PaymentError, PaymentProviderUnavailable


def provider_error(error: PaymentError) -> HTTPException:
    status = 503 if isinstance(error, PaymentProviderUnavailable) else 502
    headers = {"Retry-After": "5"} if status == 503 else None
    return HTTPException(status, f"payment provider: {error}", headers=headers)
