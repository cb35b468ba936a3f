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
    if len(currency) != 3 or not (currency.isascii() and currency.isalpha()):
        raise InvalidCommand("currency must be a three-letter ISO 4217 code")
    return currency.upper()


# ISO 4217 currencies without minor units (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)


def format_money(amount: int, currency: str) -> str:
    """Human-readable amount for summaries: 3998, "EUR" -> "39.98 EUR" (integer arithmetic)."""
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d} {currency}"
