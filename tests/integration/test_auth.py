"""Registration, login, tokens and logout over real HTTP, on both backends."""

from __future__ import annotations

import base64
import json
import time
import uuid

import httpx
from jose import jwt
from sqlalchemy import select

from domain.accounts import Account
from infra.accounts import accounts
from tests.support.servers import ShopUnderTest

PASSWORD = "correct horse battery"
# 30 two-byte characters plus 13 ASCII ones: 43 characters but 73 UTF-8 bytes.
LONG_IN_BYTES = "é" * 30 + "abcdefghijklm"


def b64url(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def register(shop: ShopUnderTest, username: str, email: str, password: str) -> httpx.Response:
    return shop.http.post(
        "/register", json={"username": username, "email": email, "password": password}
    )


def login(shop: ShopUnderTest, username: str, password: str) -> httpx.Response:
    return shop.http.post("/login", json={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(shop: ShopUnderTest) -> tuple[str, str]:
    """A fresh account's user id and access token."""
    account = shop.register()
    answer = login(shop, account["username"], account["password"])
    assert answer.status_code == 200, answer.text
    return account["id"], answer.json()["access_token"]


def assert_unauthorized(answer: httpx.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert isinstance(answer.json()["detail"], str)
    assert answer.headers.get("www-authenticate", "").lower() == "bearer"


def name() -> str:
    return "u" + uuid.uuid4().hex[:10]


# -- registration -------------------------------------------------------------------------------


def test_register_answers_201_without_the_password(shop: ShopUnderTest) -> None:
    username = "Alice_" + uuid.uuid4().hex[:6]
    answer = register(shop, username, f"{username}@Example.COM", PASSWORD)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"id", "username", "email", "role"}
    assert body["username"] == username
    assert body["email"] == f"{username}@example.com".lower()
    assert body["role"] == "shopper"
    uuid.UUID(body["id"])
    assert PASSWORD not in answer.text
    assert "hash" not in answer.text
    assert int(answer.headers["X-Event-Position"]) > 0


def test_register_refuses_a_taken_username_case_insensitively(shop: ShopUnderTest) -> None:
    username = "Bob" + uuid.uuid4().hex[:6]
    assert register(shop, username, f"{username}@example.com", PASSWORD).status_code == 201
    for taken in (username, username.lower(), username.upper()):
        again = register(shop, taken, f"other{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
        assert again.status_code == 409, again.text
        assert isinstance(again.json()["detail"], str)


def test_register_refuses_a_taken_email_case_insensitively(shop: ShopUnderTest) -> None:
    email = f"carol{uuid.uuid4().hex[:6]}@example.com"
    assert register(shop, name(), email, PASSWORD).status_code == 201
    for taken in (email, email.upper(), email.capitalize()):
        again = register(shop, name(), taken, PASSWORD)
        assert again.status_code == 409, again.text


def test_a_refused_registration_leaves_no_trace(shop: ShopUnderTest) -> None:
    username = name()
    assert register(shop, username, f"{username}@example.com", PASSWORD).status_code == 201
    before = shop.services.shop.recorder.max_notification_id()
    assert register(shop, username, f"x{username}@example.com", PASSWORD).status_code == 409
    assert shop.services.shop.recorder.max_notification_id() == before
    # The original account still logs in with its own password.
    assert login(shop, username, PASSWORD).status_code == 200


INVALID_REGISTRATIONS = [
    ("email", "not-an-email"),
    ("email", "a@b@example.com"),
    ("email", ""),
    ("password", "1234567"),
    ("password", ""),
    ("password", LONG_IN_BYTES),
    ("password", "x" * 73),
    ("password", "x" * 500),
    ("username", "ab"),
    ("username", "has space"),
    ("username", ""),
]


def test_register_refuses_invalid_values_with_422(shop: ShopUnderTest) -> None:
    for field, value in INVALID_REGISTRATIONS:
        username = name()
        body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        body[field] = value
        answer = shop.http.post("/register", json=body)
        assert answer.status_code == 422, (field, value, answer.text)
        assert "detail" in answer.json()
        if field == "password" and value:
            assert value not in answer.text, "a rejected password is echoed back"
    # None of them created an account or an event.
    assert shop.services.shop.recorder.max_notification_id() in (None, 0)


def test_register_with_missing_fields_or_wrong_types_is_422(shop: ShopUnderTest) -> None:
    for body in ({}, {"username": name()}, {"username": 5, "email": [], "password": None}):
        answer = shop.http.post("/register", json=body)
        assert answer.status_code == 422, answer.text


def test_register_with_malformed_json_is_400(shop: ShopUnderTest) -> None:
    answer = shop.http.post(
        "/register", content=b'{"username": "x",', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["detail"], str)


def test_a_72_byte_password_is_accepted_and_logs_in(shop: ShopUnderTest) -> None:
    username, password = name(), "é" * 36
    assert register(shop, username, f"{username}@example.com", password).status_code == 201
    assert login(shop, username, password).status_code == 200
    assert login(shop, username, "é" * 35 + "e").status_code == 401


# -- login --------------------------------------------------------------------------------------


def test_login_by_username_and_by_email(shop: ShopUnderTest) -> None:
    username = "Dave" + uuid.uuid4().hex[:6]
    email = f"{username}@example.com"
    created = register(shop, username, email, PASSWORD)
    assert created.status_code == 201
    for login_name in (username, username.lower(), email, email.upper(), f"  {username} "):
        answer = login(shop, login_name, PASSWORD)
        assert answer.status_code == 200, (login_name, answer.text)
        body = answer.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == shop.settings.jwt_lifetime_seconds
        me = shop.http.get("/protected", headers=bearer(body["access_token"]))
        assert me.status_code == 200, me.text
        assert me.json() == {
            "id": created.json()["id"],
            "username": username,
            "email": email.lower(),
            "role": "shopper",
        }


def test_wrong_password_and_unknown_user_get_the_same_401(shop: ShopUnderTest) -> None:
    account = shop.register()
    wrong = login(shop, account["username"], "wrong password")
    unknown = login(shop, "nobody" + uuid.uuid4().hex[:6], "wrong password")
    unknown_email = login(shop, f"nobody{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    for answer in (wrong, unknown, unknown_email):
        assert_unauthorized(answer)
    assert wrong.json() == unknown.json() == unknown_email.json()
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


def test_login_with_an_over_long_password_is_401_not_500(shop: ShopUnderTest) -> None:
    account = shop.register()
    assert_unauthorized(login(shop, account["username"], LONG_IN_BYTES))
    assert_unauthorized(login(shop, "nobody" + uuid.uuid4().hex[:6], LONG_IN_BYTES))


def test_login_with_empty_fields_is_422(shop: ShopUnderTest) -> None:
    assert shop.http.post("/login", json={"username": "", "password": "x"}).status_code == 422
    assert shop.http.post("/login", json={"username": "x", "password": ""}).status_code == 422
    assert shop.http.post("/login", json={}).status_code == 422


# -- bearer tokens ------------------------------------------------------------------------------


def test_protected_without_a_token_is_401(shop: ShopUnderTest) -> None:
    assert_unauthorized(shop.http.get("/protected"))
    assert_unauthorized(shop.http.get("/protected", headers={"Authorization": ""}))
    assert_unauthorized(shop.http.get("/protected", headers={"Authorization": "Bearer"}))


MALFORMED_AUTHORIZATIONS = [
    "Bearer not-a-token",
    "Bearer a.b.c",
    "Bearer ....",
    "Bearer " + "x" * 5000,
    "Basic dXNlcjpwYXNz",
    "Token abc",
    "bearer",
]


def test_protected_with_a_malformed_token_is_401(shop: ShopUnderTest) -> None:
    for authorization in MALFORMED_AUTHORIZATIONS:
        assert_unauthorized(shop.http.get("/protected", headers={"Authorization": authorization}))


def test_protected_with_a_valid_token_is_200(shop: ShopUnderTest) -> None:
    user_id, token = token_of(shop)
    me = shop.http.get("/protected", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id


def test_a_token_with_a_flipped_signature_character_is_401(shop: ShopUnderTest) -> None:
    _, token = token_of(shop)
    header, payload, signature = token.split(".")
    # Flip a middle character: the last one may carry only padding bits and decode the same.
    for index in (0, len(signature) // 2, len(signature) - 2):
        flipped = "A" if signature[index] != "A" else "B"
        tampered = signature[:index] + flipped + signature[index + 1 :]
        answer = shop.http.get("/protected", headers=bearer(f"{header}.{payload}.{tampered}"))
        assert_unauthorized(answer)


def test_a_token_with_a_tampered_payload_is_401(shop: ShopUnderTest) -> None:
    _, token = token_of(shop)
    other_id, _ = token_of(shop)
    header, payload, signature = token.split(".")
    # A flipped character in the middle of the payload.
    middle = len(payload) // 2
    flipped = "A" if payload[middle] != "A" else "B"
    tampered = payload[:middle] + flipped + payload[middle + 1 :]
    assert_unauthorized(
        shop.http.get("/protected", headers=bearer(f"{header}.{tampered}.{signature}"))
    )
    # A well-formed payload naming another user, under the original signature.
    claims = jwt.get_unverified_claims(token)
    forged = b64url({**claims, "sub": other_id})
    assert_unauthorized(
        shop.http.get("/protected", headers=bearer(f"{header}.{forged}.{signature}"))
    )
    # A later expiry, under the original signature.
    extended = b64url({**claims, "exp": claims["exp"] + 3600})
    assert_unauthorized(
        shop.http.get("/protected", headers=bearer(f"{header}.{extended}.{signature}"))
    )
    # The untouched token still works: the 401s above came from the tampering.
    assert shop.http.get("/protected", headers=bearer(token)).status_code == 200


def test_an_expired_token_is_401(shop: ShopUnderTest) -> None:
    user_id, _ = token_of(shop)
    now = int(time.time())
    expired = jwt.encode(
        {"sub": user_id, "iat": now - 7200, "exp": now - 60, "jti": uuid.uuid4().hex},
        shop.settings.jwt_secret,
        algorithm="HS256",
    )
    assert_unauthorized(shop.http.get("/protected", headers=bearer(expired)))
    # The same claims with a future expiry are accepted: only the expiry made the difference.
    valid = jwt.encode(
        {"sub": user_id, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex},
        shop.settings.jwt_secret,
        algorithm="HS256",
    )
    assert shop.http.get("/protected", headers=bearer(valid)).status_code == 200


def test_an_alg_none_token_is_401(shop: ShopUnderTest) -> None:
    user_id, _ = token_of(shop)
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "None", "typ": "JWT"}):
        unsigned = f"{b64url(header)}.{b64url(claims)}."
        assert_unauthorized(shop.http.get("/protected", headers=bearer(unsigned)))


def test_a_token_signed_with_another_secret_is_401(shop: ShopUnderTest) -> None:
    user_id, _ = token_of(shop)
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    forged = jwt.encode(claims, "another-secret-" + "z" * 40, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(forged)))


def test_a_token_of_an_unknown_user_is_401(shop: ShopUnderTest) -> None:
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    token = jwt.encode(claims, shop.settings.jwt_secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(token)))


def test_logout_revokes_that_token_only(shop: ShopUnderTest) -> None:
    account = shop.register()
    first = login(shop, account["username"], account["password"]).json()["access_token"]
    second = login(shop, account["username"], account["password"]).json()["access_token"]
    assert shop.http.get("/protected", headers=bearer(first)).status_code == 200
    out = shop.http.post("/logout", headers=bearer(first))
    assert out.status_code == 204, out.text
    assert out.content == b""
    assert_unauthorized(shop.http.get("/protected", headers=bearer(first)))
    assert_unauthorized(shop.http.post("/logout", headers=bearer(first)))
    # Another session of the same account is unaffected.
    assert shop.http.get("/protected", headers=bearer(second)).status_code == 200


def test_logout_without_a_token_is_401(shop: ShopUnderTest) -> None:
    assert_unauthorized(shop.http.post("/logout"))
    assert_unauthorized(shop.http.post("/logout", headers=bearer("junk")))


# -- what is stored where -----------------------------------------------------------------------


def test_password_is_stored_as_bcrypt_and_never_in_the_event_store(shop: ShopUnderTest) -> None:
    username = "Erin" + uuid.uuid4().hex[:6]
    email = f"{username}@Example.com"
    created = register(shop, username, email, PASSWORD)
    assert created.status_code == 201
    with shop.services.accounts_engine.connect() as conn:
        row = conn.execute(
            select(accounts.c.password_hash, accounts.c.email).where(
                accounts.c.username_key == username.lower()
            )
        ).one()
    assert row.password_hash.startswith("$2b$")
    assert PASSWORD not in row.password_hash
    assert row.email == email.lower()

    notifications = shop.services.shop.recorder.select_notifications(start=1, limit=1000)
    assert notifications, "the registration recorded no event"
    secrets = {
        "email": email.encode(),
        "email (lower)": email.lower().encode(),
        "password": PASSWORD.encode(),
        "hash": row.password_hash.encode(),
        "username": username.encode(),
        "username (lower)": username.lower().encode(),
    }
    for notification in notifications:
        for what, secret in secrets.items():
            assert secret not in notification.state, f"{what} in {notification.topic}"


def test_account_opened_names_the_user_by_id_only(shop: ShopUnderTest) -> None:
    created = shop.register()
    user_id = uuid.UUID(created["id"])
    notifications = shop.services.shop.recorder.select_notifications(start=1, limit=1000)
    mine = [n for n in notifications if n.originator_id == user_id]
    assert [n.topic for n in mine] == ["domain.accounts:Account.AccountOpened"]
    event = shop.services.shop.mapper.to_domain_event(mine[0])
    assert isinstance(event, Account.AccountOpened)
    assert event.user_id == user_id
    assert event.role == "shopper"
    fields = set(vars(event)) - {"originator_id", "originator_version", "timestamp"}
    assert fields == {"originator_topic", "user_id", "role"}
