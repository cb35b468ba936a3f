"""Password hashing and JWT helpers (infra/security.py), with no I/O."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from jose import jwt

from infra.security import (
    JWT_ALGORITHM,
    InvalidToken,
    Passwords,
    decode_token,
    issue_token,
    password_problem,
)
from infra.settings import Settings, load_settings

SECRET = "unit-test-secret-" + "s" * 32
# 30 two-byte characters plus 13 ASCII ones: 43 characters, 73 UTF-8 bytes.
LONG_IN_BYTES = "é" * 30 + "abcdefghijklm"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(jwt_secret=SECRET, jwt_lifetime_seconds=600)


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords(rounds=4)


def b64url(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    values: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "role": "shopper",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


# -- passwords ----------------------------------------------------------------------------------


def test_hash_is_bcrypt_with_the_configured_cost_and_salted(passwords: Passwords) -> None:
    first, second = passwords.hash("correct horse"), passwords.hash("correct horse")
    assert first.startswith("$2b$04$") and second.startswith("$2b$04$")
    assert first != second
    assert "correct horse" not in first


def test_verify_accepts_the_right_password_only(passwords: Passwords) -> None:
    stored = passwords.hash("correct horse")
    assert passwords.verify("correct horse", stored) is True
    assert passwords.verify("correct horsE", stored) is False
    assert passwords.verify("", stored) is False


def test_verify_without_a_hash_fails(passwords: Passwords) -> None:
    assert passwords.verify("not-a-real-password", None) is False


def test_verify_of_an_over_long_password_fails_without_raising(passwords: Passwords) -> None:
    stored = passwords.hash("correct horse")
    assert passwords.verify(LONG_IN_BYTES, stored) is False
    assert passwords.verify("x" * 1000, stored) is False


def test_a_72_byte_password_hashes_and_verifies(passwords: Passwords) -> None:
    password = "é" * 36  # 72 bytes exactly
    assert password_problem(password) is None
    assert passwords.verify(password, passwords.hash(password)) is True


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "at least 8"),
        ("1234567", "at least 8"),
        (LONG_IN_BYTES, "at most 72 bytes"),
        ("a" * 73, "at most 72 bytes"),
    ],
)
def test_password_problems(password: str, problem: str) -> None:
    assert problem in (password_problem(password) or "")


@pytest.mark.parametrize("password", ["12345678", "a" * 72, "é" * 36, "пароль-пароль"])
def test_acceptable_passwords(password: str) -> None:
    assert password_problem(password) is None


# -- tokens -------------------------------------------------------------------------------------


def test_issued_token_round_trips(settings: Settings) -> None:
    user_id = uuid.uuid4()
    before = int(time.time())
    token, lifetime = issue_token(settings, user_id, "support")
    assert lifetime == 600
    decoded = decode_token(settings, token)
    assert (decoded.user_id, decoded.role) == (user_id, "support")
    assert before + 600 <= decoded.expires_at <= int(time.time()) + 600
    header = jwt.get_unverified_header(token)
    assert header["alg"] == JWT_ALGORITHM == "HS256"


def test_every_token_has_its_own_jti(settings: Settings) -> None:
    user_id = uuid.uuid4()
    jtis = {
        decode_token(settings, issue_token(settings, user_id, "shopper")[0]).jti for _ in range(5)
    }
    assert len(jtis) == 5


def test_the_token_carries_no_personal_data(settings: Settings) -> None:
    token, _ = issue_token(settings, uuid.uuid4(), "shopper")
    assert set(jwt.get_unverified_claims(token)) == {"sub", "iat", "exp", "jti", "role"}


def test_an_expired_token_is_refused(settings: Settings) -> None:
    now = int(time.time())
    token = jwt.encode(claims(iat=now - 120, exp=now - 60), SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(settings, token)


def test_a_token_of_another_secret_is_refused(settings: Settings) -> None:
    token = jwt.encode(claims(), "another-secret-" + "y" * 32, algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_token(settings, token)


def test_an_alg_none_token_is_refused(settings: Settings) -> None:
    token = b64url({"alg": "none", "typ": "JWT"}) + "." + b64url(claims()) + "."
    with pytest.raises(InvalidToken):
        decode_token(settings, token)


def test_another_algorithm_with_the_right_secret_is_refused(settings: Settings) -> None:
    token = jwt.encode(claims(), SECRET, algorithm="HS512")
    with pytest.raises(InvalidToken):
        decode_token(settings, token)


# Without "role": a token issued before tokens carried the role (refused: sign in again).
@pytest.mark.parametrize("missing", ["sub", "exp", "jti", "role"])
def test_a_token_without_a_required_claim_is_refused(settings: Settings, missing: str) -> None:
    values = claims()
    del values[missing]
    with pytest.raises(InvalidToken):
        decode_token(settings, jwt.encode(values, SECRET, algorithm="HS256"))


@pytest.mark.parametrize("role", ["root", "", 7, None, ["admin"]])
def test_a_token_with_an_unknown_role_is_refused(settings: Settings, role: object) -> None:
    with pytest.raises(InvalidToken):
        decode_token(settings, jwt.encode(claims(role=role), SECRET, algorithm="HS256"))


@pytest.mark.parametrize("sub", ["not-a-uuid", "", 42])
def test_a_token_whose_subject_is_not_a_user_id_is_refused(settings: Settings, sub: object) -> None:
    with pytest.raises(InvalidToken):
        decode_token(settings, jwt.encode(claims(sub=sub), SECRET, algorithm="HS256"))


def test_a_tampered_payload_is_refused(settings: Settings) -> None:
    token, _ = issue_token(settings, uuid.uuid4(), "shopper")
    header, _payload, signature = token.split(".")
    forged = b64url(claims())
    with pytest.raises(InvalidToken):
        decode_token(settings, f"{header}.{forged}.{signature}")


def test_a_tampered_signature_is_refused(settings: Settings) -> None:
    token, _ = issue_token(settings, uuid.uuid4(), "shopper")
    header, payload, signature = token.split(".")
    # Flip a character in the middle: the last one may only carry padding bits.
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = signature[:middle] + flipped + signature[middle + 1 :]
    with pytest.raises(InvalidToken):
        decode_token(settings, f"{header}.{payload}.{tampered}")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x", "...."])
def test_garbage_is_refused(settings: Settings, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        decode_token(settings, garbage)
