"""Registration, login, tokens and logout over real HTTP, on both backends."""

from __future__ import annotations

import base64
import json
import time
import uuid

import httpx
from jose import jwt

from domain.accounts import Account
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


def test_register_refuses_taken_names_case_insensitively(shop: ShopUnderTest) -> None:
    # register refuses a taken username case insensitively
    username = "Bob" + uuid.uuid4().hex[:6]
    assert register(shop, username, f"{username}@example.com", PASSWORD).status_code == 201
    for taken in (username, username.lower(), username.upper()):
        again = register(shop, taken, f"other{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
        assert again.status_code == 409, again.text
        assert isinstance(again.json()["detail"], str)

    # register refuses a taken email case insensitively
    email = f"carol{uuid.uuid4().hex[:6]}@example.com"
    assert register(shop, name(), email, PASSWORD).status_code == 201
    for taken in (email, email.upper(), email.capitalize()):
        again = register(shop, name(), taken, PASSWORD)
        assert again.status_code == 409, again.text

    # a refused registration leaves no trace
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


def test_register_refuses_bad_input(shop: ShopUnderTest) -> None:
    # register refuses invalid values with 422
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

    # register with missing fields or wrong types is 422
    for body in ({}, {"username": name()}, {"username": 5, "email": [], "password": None}):
        answer = shop.http.post("/register", json=body)
        assert answer.status_code == 422, answer.text

    # register with malformed json is 400
    answer = shop.http.post(
        "/register", content=b'{"username": "x",', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert isinstance(answer.json()["detail"], str)


def test_password_length_counts_utf8_bytes(shop: ShopUnderTest) -> None:
    # a 72 byte password is accepted and logs in
    username, password = name(), "é" * 36
    assert register(shop, username, f"{username}@example.com", password).status_code == 201
    assert login(shop, username, password).status_code == 200
    assert login(shop, username, "é" * 35 + "e").status_code == 401

    # login with an over long password is 401 not 500
    account = shop.register()
    assert_unauthorized(login(shop, account["username"], LONG_IN_BYTES))
    assert_unauthorized(login(shop, "nobody" + uuid.uuid4().hex[:6], LONG_IN_BYTES))


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


def test_login_refusals(shop: ShopUnderTest) -> None:
    # wrong password and unknown user get the same 401
    account = shop.register()
    wrong = login(shop, account["username"], "wrong password")
    unknown = login(shop, "nobody" + uuid.uuid4().hex[:6], "wrong password")
    unknown_email = login(shop, f"nobody{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    for answer in (wrong, unknown, unknown_email):
        assert_unauthorized(answer)
    assert wrong.json() == unknown.json() == unknown_email.json()
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")

    # login with empty fields is 422
    assert shop.http.post("/login", json={"username": "", "password": "x"}).status_code == 422
    assert shop.http.post("/login", json={"username": "x", "password": ""}).status_code == 422
    assert shop.http.post("/login", json={}).status_code == 422


# -- bearer tokens ------------------------------------------------------------------------------


MALFORMED_AUTHORIZATIONS = [
    "Bearer not-a-token",
    "Bearer a.b.c",
    "Bearer ....",
    "Bearer " + "x" * 5000,
    "Basic dXNlcjpwYXNz",
    "Token abc",
    "bearer",
]


def test_protected_needs_a_well_formed_bearer_token(shop: ShopUnderTest) -> None:
    # protected without a token is 401
    assert_unauthorized(shop.http.get("/protected"))
    assert_unauthorized(shop.http.get("/protected", headers={"Authorization": ""}))
    assert_unauthorized(shop.http.get("/protected", headers={"Authorization": "Bearer"}))

    # protected with a malformed token is 401
    for authorization in MALFORMED_AUTHORIZATIONS:
        assert_unauthorized(shop.http.get("/protected", headers={"Authorization": authorization}))

    # protected with a valid token is 200
    user_id, token = token_of(shop)
    me = shop.http.get("/protected", headers=bearer(token))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id


def test_tampered_tokens_are_401(shop: ShopUnderTest) -> None:
    _, token = token_of(shop)
    other_id, _ = token_of(shop)
    header, payload, signature = token.split(".")
    # Flip a middle character: the last one may carry only padding bits and decode the same.
    for index in (0, len(signature) // 2, len(signature) - 2):
        flipped = "A" if signature[index] != "A" else "B"
        tampered = signature[:index] + flipped + signature[index + 1 :]
        answer = shop.http.get("/protected", headers=bearer(f"{header}.{payload}.{tampered}"))
        assert_unauthorized(answer)

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


def test_forged_tokens_are_401(shop: ShopUnderTest) -> None:
    user_id, _ = token_of(shop)
    now = int(time.time())

    def claims(**overrides: object) -> dict[str, object]:
        values = {
            "sub": user_id,
            "role": "shopper",
            "iat": now,
            "exp": now + 600,
            "jti": uuid.uuid4().hex,
        }
        return {**values, **overrides}

    secret = shop.settings.jwt_secret
    # Control: our own claims, signed with the shop's secret, are accepted.
    valid = jwt.encode(claims(), secret, algorithm="HS256")
    assert shop.http.get("/protected", headers=bearer(valid)).status_code == 200

    expired = jwt.encode(claims(iat=now - 7200, exp=now - 60), secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(expired)))

    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "None", "typ": "JWT"}):
        unsigned = f"{b64url(header)}.{b64url(claims())}."
        assert_unauthorized(shop.http.get("/protected", headers=bearer(unsigned)))

    other_secret = jwt.encode(claims(), "another-secret-" + "z" * 40, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(other_secret)))

    unknown_user = jwt.encode(claims(sub=str(uuid.uuid4())), secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(unknown_user)))

    without_jti = {key: value for key, value in claims().items() if key != "jti"}
    no_jti = jwt.encode(without_jti, secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(no_jti)))

    # Tokens carry the role since checking a request needs no database: one issued before
    # (no role claim) is refused, and so is a role the shop does not know.
    without_role = {key: value for key, value in claims().items() if key != "role"}
    no_role = jwt.encode(without_role, secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(no_role)))
    root = jwt.encode(claims(role="root"), secret, algorithm="HS256")
    assert_unauthorized(shop.http.get("/protected", headers=bearer(root)))


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

    # logout without a token is 401
    assert_unauthorized(shop.http.post("/logout"))
    assert_unauthorized(shop.http.post("/logout", headers=bearer("junk")))


# -- what is stored where -----------------------------------------------------------------------


def test_password_is_stored_as_bcrypt_and_never_in_the_event_store(shop: ShopUnderTest) -> None:
    username = "Erin" + uuid.uuid4().hex[:6]
    email = f"{username}@Example.com"
    created = register(shop, username, email, PASSWORD)
    assert created.status_code == 201
    password_hash = shop.services.accounts.password_hash(username)
    assert password_hash is not None and password_hash.startswith("$2b$")
    assert PASSWORD not in password_hash
    assert shop.services.accounts.find(username).email == email.lower()

    notifications = shop.services.shop.recorder.select_notifications(start=1, limit=1000)
    assert notifications, "the registration recorded no event"
    secrets = {
        "email": email.encode(),
        "email (lower)": email.lower().encode(),
        "password": PASSWORD.encode(),
        "hash": password_hash.encode(),
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
