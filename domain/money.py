"""Money rules shared by every aggregate: integer minor units and an ISO 4217 currency."""

from domain.errors import InvalidCommand

# Active ISO 4217 codes (funds codes and precious metals left out: nothing is sold in them).
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG""".split()  # noqa: SIM905
)
# Currencies whose amounts Stripe counts in whole units (its list of zero-decimal currencies):
# an amount of 500 JPY is 500 yen.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset("BHD IQD JOD KWD LYD OMR TND".split())  # noqa: SIM905


def check_amount(amount: int, what: str = "price") -> int:
    """Reject floats, booleans and negatives: money is a whole number of minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidCommand(f"{what} must be an integer number of minor units")
    if amount < 0:
        raise InvalidCommand(f"{what} must not be negative")
    return amount


def check_currency(currency: str) -> str:
    code = currency.upper()
    if len(code) != 3 or code not in ISO_4217:
        raise InvalidCommand("currency must be an ISO 4217 code, such as EUR, USD or JPY")
    return code


def decimals(currency: str) -> int:
    """How many digits of a currency's amount are after the point (JPY 0, EUR 2, KWD 3)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def format_money(amount: int, currency: str) -> str:
    """Human-readable amount for summaries, with the currency's own decimals (integer
    arithmetic): 3998 EUR -> "39.98 EUR", 500 JPY -> "500 JPY", 1500 KWD -> "1.500 KWD"."""
    currency = currency.upper()
    places = decimals(currency)
    sign = "-" if amount < 0 else ""
    if places == 0:
        return f"{sign}{abs(amount)} {currency}"
    whole, fraction = divmod(abs(amount), 10**places)
    return f"{sign}{whole}.{fraction:0{places}d} {currency}"
