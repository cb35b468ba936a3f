"""Passwords (bcrypt through passlib, from the maintained libpass fork) and JWTs (python-jose)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from jose import JWTError, jwt
from passlib.context import CryptContext

from domain.accounts import ROLES
from infra.settings import Settings

JWT_ALGORITHM = "HS256"
# bcrypt only looks at the first 72 bytes and bcrypt 5 raises beyond them: refuse longer ones.
MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_CHARS = 8


class Passwords:
    """bcrypt hashing; rounds come from settings (12 in production, fewer only in tests)."""

    def __init__(self, rounds: int = 12) -> None:
        self._context = CryptContext(schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=rounds)
        # Verifying against this when the user is unknown keeps both answers equally slow.
        self._dummy_hash = self._context.hash("not-a-real-password")

    def hash(self, password: str) -> str:
        return self._context.hash(password)

    def verify(self, password: str, password_hash: str | None) -> bool:
        """Check a password; with no hash (unknown user) spend the same time, then fail."""
        if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES or password_hash is None:
            self._context.verify("x", self._dummy_hash)
            return False
        return bool(self._context.verify(password, password_hash))


class InvalidToken(Exception):
    """The bearer token is missing, malformed, tampered with, expired or of a wrong algorithm."""


def password_problem(password: str) -> str | None:
    """Why a password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"password must be at least {MIN_PASSWORD_CHARS} characters"
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"password must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8"
    return None


# The `typ` claim of refresh tokens: never accepted as an access token, and vice versa.
REFRESH_TYPE = "refresh"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    jti: str
    expires_at: int
    # The role at login; a later change reaches every process through the access cache.
    role: str
    # The jti of the refresh token (the sign-in session) this access token came from, if any:
    # logging out revokes both.
    session: str | None = None


@dataclass(frozen=True)
class RefreshClaims:
    user_id: uuid.UUID
    jti: str
    expires_at: int


def issue_token(
    settings: Settings, user_id: uuid.UUID, role: str, session: str | None = None
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds. It carries the role, so checking a
    request needs no database: changes and logouts come from the access cache (infra/access)."""
    now = int(time.time())
    lifetime = settings.jwt_lifetime_seconds
    claims: dict[str, object] = {
        "sub": str(user_id),
        "role": role,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    if session is not None:
        claims["sid"] = session
    return jwt.encode(claims, settings.jwt_secret, algorithm=JWT_ALGORITHM), lifetime


def issue_refresh_token(settings: Settings, user_id: uuid.UUID) -> tuple[str, RefreshClaims]:
    """A long-lived token that only POST /auth/refresh accepts (kept in an httpOnly cookie)."""
    now = int(time.time())
    refresh = RefreshClaims(
        user_id, uuid.uuid4().hex, now + settings.refresh_token_lifetime_seconds
    )
    claims = {
        "sub": str(user_id),
        "typ": REFRESH_TYPE,
        "iat": now,
        "exp": refresh.expires_at,
        "jti": refresh.jti,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=JWT_ALGORITHM), refresh


def decode_refresh_token(settings: Settings, token: str) -> RefreshClaims:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[JWT_ALGORITHM],
            options={"require_exp": True, "require_sub": True, "require_jti": True},
        )
        if claims.get("typ") != REFRESH_TYPE:
            raise ValueError("not a refresh token")
        return RefreshClaims(uuid.UUID(claims["sub"]), str(claims["jti"]), int(claims["exp"]))
    except (JWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken("invalid or expired refresh token") from error


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """Verify the signature (HS256 only: never "none"), expiry and the claims we need.
    Tokens without a role claim (issued before roles were carried) are refused."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[JWT_ALGORITHM],
            options={"require_exp": True, "require_sub": True, "require_jti": True},
        )
        role = claims["role"]
        if role not in ROLES or "typ" in claims:  # a refresh token is no access token
            raise ValueError("unknown role")
        session = claims.get("sid")
        return TokenClaims(
            user_id=uuid.UUID(claims["sub"]),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            role=role,
            session=str(session) if session is not None else None,
        )
    except (JWTError, KeyError, ValueError, TypeError) as error:
        raise InvalidToken("invalid or expired token") from error
