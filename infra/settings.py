"""One settings object for every process, read from the environment (prefix-free names).

A missing or malformed value stops start-up with one line naming the setting, because a
half-configured shop is worse than one that refuses to start.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.money import ISO_4217

VAR_DIR = Path("var")
# Values that ship in this repository (.env.example, the offline defaults): never real secrets.
PLACEHOLDER_MARKERS = ("change-me", "changeme", "offline")


class SettingsError(SystemExit):
    """Raised (as a clean exit) when the environment cannot be turned into Settings."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    # "production" refuses what only makes sense on a developer's machine (see _production).
    env: Literal["development", "production"] = "development"

    # Where the events live: "sqlite:///var/events.db" or "postgresql://user@host:5432/db".
    event_store_url: str = f"sqlite:///{VAR_DIR}/events.db"
    # Where the read models live: "sqlite:///var/views.db" or "mysql+pymysql://root@host/db".
    read_store_url: str = f"sqlite:///{VAR_DIR}/views.db"
    # Hot views; optional (the embedded default runs without Redis).
    redis_url: str | None = None
    # Key prefix in Redis, so several shops (or test runs) can share one server.
    redis_namespace: str = "shop"

    jwt_secret: str = Field(min_length=32)
    jwt_lifetime_seconds: int = Field(default=3600, gt=0, le=7 * 24 * 3600)
    # bcrypt cost; 12 is the production default, tests may lower it to keep the suite fast.
    bcrypt_rounds: int = Field(default=12, ge=4, le=16)
    # Password hashes run in a pool of this many threads (0: one per CPU); a sign-in whose
    # hash could not start within PASSWORD_QUEUE_SECONDS is refused at once with 503.
    password_hash_workers: int = Field(default=0, ge=0, le=64)
    password_queue_seconds: float = Field(default=3.0, gt=0, le=60)
    cors_origins: Annotated[list[str], NoDecode] = []
    currency: str = "EUR"
    # The shop's name, in receipts and mails.
    shop_name: str = "Order platform"
    # Prices are listed including tax (EU style) or excluding it (US style, added at checkout).
    prices_include_tax: bool = True
    # ISO 3166-1 alpha-2: where an order without a shipping address is taxed (none: untaxed).
    shop_country: str | None = None

    stripe_secret_key: str = "sk_test_offline"
    stripe_publishable_key: str = "pk_test_offline"
    stripe_webhook_secret: str = "whsec_offline"
    # None means Stripe itself; a loopback URL means the localstripe emulator.
    stripe_api_base: str | None = None
    stripe_api_version: str = "2024-06-20"
    # Declares that STRIPE_API_BASE is the emulator even off loopback (the compose dev profile).
    stripe_emulator: bool = False
    # Seconds to wait for Stripe's answer, and how often the SDK retries a call that failed on
    # the network (with the same idempotency key); past them a money command records that its
    # outcome is unknown, and a retry with the same key learns it.
    stripe_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    stripe_network_retries: int = Field(default=2, ge=0, le=5)

    # An order not paid within this many seconds is cancelled and its stock returned
    # (by the worker's expiry policy); 0 keeps unpaid orders until someone cancels them.
    pending_order_ttl_seconds: int = Field(default=1800, ge=0)
    # The worker compares open orders with Stripe this often (lost webhooks); 0 turns it off.
    # Refunds left without Stripe's answer are recovered every 10 s whatever this says.
    reconcile_interval_seconds: int = Field(default=300, ge=0)
    # How long a query waits for a projection to pass the position the client sent.
    read_your_writes_timeout: float = Field(default=2.0, gt=0, le=30)
    # Requests one query process lets wait for a position at once; more answer 503 at once.
    read_your_writes_max_waiters: int = Field(default=1000, ge=1, le=100_000)
    # Seconds one read of the query side (read store, Redis, the event store's head) may take,
    # connecting included: a store that hangs answers 503 instead of holding the request.
    read_store_timeout: float = Field(default=5.0, gt=0, le=60)
    # uvicorn's access log (`shop serve`): off by default, a line per request costs CPU.
    access_log: bool = False
    # Event store time-outs (seconds): keep them low so a dead database answers 503 quickly.
    db_connect_timeout: int = Field(default=5, gt=0)
    db_lock_timeout: int = Field(default=5, gt=0)
    # Connections each process keeps open, with no overflow: opening and closing connections
    # per request (and pre-pinging each checkout) cost more than queueing for one. The event
    # store pool (PostgreSQL) also serves the accounts table: one pool per process.
    event_store_pool_size: int = Field(default=8, ge=1, le=100)
    # Read store connections of one process (sync for the command side and the worker, async
    # for the query side; the query side's Redis pool has the same size).
    read_store_pool_size: int = Field(default=8, ge=1, le=200)
    # Pooled connections are replaced after this many seconds (instead of pinging each use).
    db_pool_recycle_seconds: int = Field(default=1800, ge=60)
    # Aggregates kept per process between commands (fast-forwarded from the store on each
    # load, so other processes' writes are seen); 0 turns the cache off.
    aggregate_cache_size: int = Field(default=5000, ge=0)
    # PostgreSQL connections in a worker process's pool, shared by all its projections (it
    # holds one more, for LISTEN): the worker's whole budget on the event store.
    worker_pool_size: int = Field(default=4, ge=1, le=16)

    # Product images: a directory on the embedded default; an S3-compatible bucket when
    # IMAGE_BUCKET names one (credentials from boto3's usual chain, e.g. AWS_ACCESS_KEY_ID).
    image_dir: str = str(VAR_DIR / "images")
    image_bucket: str | None = None
    # A non-AWS S3 server (MinIO, moto, ...); unset for AWS itself.
    image_s3_endpoint_url: str | None = None
    image_s3_region: str | None = None

    # Stripe's request rate limit per second (test mode 25, live mode 100), and the share of
    # it reconciliation may use; checkout's calls count against the same budget.
    stripe_rate_limit: int = Field(default=25, ge=1, le=10000)
    reconcile_stripe_share: float = Field(default=0.2, gt=0, le=1)

    # -- hardening: bounded waits, limits (README: "Timeouts, limits and headers") -----------
    # Server-side statement time-out on PostgreSQL; a connection checked out longer than
    # this plus DB_LOCK_TIMEOUT (a server that stopped answering) is cut by the watchdog.
    db_statement_timeout: float = Field(default=5.0, gt=0, le=300)
    # Redis connect and read time-out (seconds), every client.
    redis_timeout: float = Field(default=3.0, gt=0, le=60)
    # An answer has begun within this many seconds, else 503 with Retry-After.
    request_timeout: float = Field(default=15.0, gt=0, le=600)
    # Request bodies (bytes): most routes, Stripe's webhook, multipart image uploads.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_webhook_body_bytes: int = Field(default=512 * 1024, ge=1024)
    max_upload_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Rate limits ("N/second|minute|hour", the `limits` library's notation): per client
    # address, and for /login also per account named.
    rate_limit_login: str = "20/minute"
    rate_limit_login_account: str = "10/minute"
    rate_limit_register: str = "10/minute"
    rate_limit_refresh: str = "60/minute"
    # Webhook deliveries that fail their signature check (signed ones are never limited).
    rate_limit_webhook: str = "600/minute"
    rate_limit_dev: str = "60/minute"
    # The client is the peer address; with a trusted proxy in front (nginx), the address that
    # proxy appended to X-Forwarded-For (the last one; earlier ones are the client's claims).
    trusted_proxy: bool = False
    # Lifetime of the refresh token (httpOnly cookie, POST /auth/refresh).
    refresh_token_lifetime_seconds: int = Field(default=14 * 24 * 3600, gt=0, le=90 * 24 * 3600)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """Origins as browsers send them (scheme://host[:port]), so a match cannot silently fail."""
        origins = []
        for origin in (item.rstrip("/") for item in value):
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https") or not parts.netloc or parts.path
            ):
                raise ValueError(f"{origin!r} is not an origin like https://shop.example.com")
            origins.append(origin)
        return origins

    @field_validator(
        "rate_limit_login",
        "rate_limit_login_account",
        "rate_limit_register",
        "rate_limit_refresh",
        "rate_limit_webhook",
        "rate_limit_dev",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as 10/minute") from None
        return value

    @field_validator("shop_country")
    @classmethod
    def _shop_country(cls, value: str | None) -> str | None:
        if not value:
            return None
        from domain.addresses import check_country
        from domain.errors import InvalidFields

        try:
            return check_country(value)
        except InvalidFields:
            raise ValueError("must be an ISO 3166-1 alpha-2 code, such as DE") from None

    @field_validator("event_store_url")
    @classmethod
    def _event_store_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("read_store_url")
    @classmethod
    def _read_store_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "mysql+pymysql://", "mariadb+pymysql://")):
            raise ValueError("must start with sqlite:/// or mysql+pymysql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://")
        return value

    @field_validator("image_bucket", "image_s3_endpoint_url", "image_s3_region")
    @classmethod
    def _unset_when_empty(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if value.upper() not in ISO_4217:
            raise ValueError("must be an ISO 4217 code, such as EUR, USD or JPY")
        return value.upper()

    @field_validator("stripe_api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production(self) -> Settings:
        """ENV=production: no emulator, no dev payments, no secret that ships with the code."""
        if self.env != "production":
            return self
        if self.stripe_emulator:
            raise ValueError(
                "STRIPE_EMULATOR: the emulator and its dev payment route (/dev/payments) are"
                " for development; unset it when ENV=production"
            )
        if self.stripe_api_base and not self.stripe_api_base.startswith("https://"):
            raise ValueError(
                f"STRIPE_API_BASE: {self.stripe_api_base} is an emulator, not Stripe;"
                " leave it empty when ENV=production"
            )
        if _is_placeholder(self.jwt_secret):
            raise ValueError(
                "JWT_SECRET: the example value cannot sign production tokens; generate one"
                " with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not self.stripe_secret_key.startswith(("sk_", "rk_")) or _is_placeholder(
            self.stripe_secret_key
        ):
            raise ValueError("STRIPE_SECRET_KEY: set your Stripe secret key (sk_live_/sk_test_)")
        if not self.stripe_webhook_secret.startswith("whsec_") or _is_placeholder(
            self.stripe_webhook_secret
        ):
            raise ValueError(
                "STRIPE_WEBHOOK_SECRET: set the signing secret (whsec_...) of the Stripe webhook"
                " endpoint https://<your host>/webhooks/stripe"
            )
        if "*" in self.cors_origins:
            raise ValueError("CORS_ORIGINS: name the storefront's origins; '*' is not allowed")
        return self

    @property
    def stripe_is_emulated(self) -> bool:
        """True when payments go to a local emulator, which enables the dev-only payment step."""
        base = self.stripe_api_base or ""
        if not base or self.stripe_secret_key.startswith("sk_live"):
            return False
        return self.stripe_emulator or base.startswith(
            ("http://127.", "http://localhost", "http://[::1]")
        )


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(marker in lowered for marker in PLACEHOLDER_MARKERS)


def load_settings(**overrides: object) -> Settings:
    """Build Settings from the environment, or exit with one line naming the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        if not first["loc"]:  # a rule across settings: its message starts with the name
            message = str(first["msg"]).removeprefix("Value error, ")
            raise SettingsError(f"configuration error: {message}") from None
        name = str(first["loc"][0]).upper()
        raise SettingsError(f"configuration error: {name}: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own with load_settings instead)."""
    return load_settings()
