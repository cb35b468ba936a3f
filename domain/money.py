"""Money rules shared by every aggregate: integer minor units and an ISO 4217 currency."""

from domain.errors import InvalidCommand


def check_amount(amount: int, what: str = "price") -> int:
    """Reject floats, booleans and negatives: money is a whole number of minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidCommand(f"{what} must be an integer number of minor units")
    if amount < 0:
        raise InvalidCommand(f"{what} must not be negative")
    return amount


def check_currency(currency: str) -> str:
    if len(currency) != 3 or not currency.isalpha():
        raise InvalidCommand("currency must be a three-letter ISO 4217 code")
    return currency.upper()
