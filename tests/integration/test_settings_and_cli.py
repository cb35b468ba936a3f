"""Settings from the environment, and the `shop` command run as a real process."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from infra.settings import Settings, SettingsError, load_settings
from tests.support.processes import SETTING_NAMES, SHOP_BIN, shop_env
from tests.support.servers import ShopUnderTest, poll_until

GOOD_SECRET = "settings-test-secret-" + "s" * 32


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No shop setting inherited from the environment the tests run in."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_error(**overrides: object) -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings(**overrides)
    message = str(raised.value)
    assert message == raised.value.code
    assert "\n" not in message, message
    assert message.startswith("configuration error: ")
    return message


# -- settings -----------------------------------------------------------------------------------


def test_a_missing_jwt_secret_is_one_line_naming_it(clean_env: pytest.MonkeyPatch) -> None:
    assert "JWT_SECRET" in settings_error()
    clean_env.setenv("JWT_SECRET", "too short")
    assert "JWT_SECRET" in settings_error()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EVENT_STORE_URL", "mysql://root@localhost/events"),
        ("EVENT_STORE_URL", "events.db"),
        ("READ_STORE_URL", "postgresql://localhost/views"),
        ("REDIS_URL", "http://localhost:6379"),
        ("CURRENCY", "EURO"),
        ("CURRENCY", "E1"),
        ("CURRENCY", "ÄÖÜ"),
        ("BCRYPT_ROUNDS", "many"),
        ("BCRYPT_ROUNDS", "3"),
        ("JWT_LIFETIME_SECONDS", "0"),
        ("READ_YOUR_WRITES_TIMEOUT", "-1"),
        ("READ_YOUR_WRITES_MAX_WAITERS", "0"),
        ("READ_STORE_POOL_SIZE", "0"),
        ("READ_STORE_TIMEOUT", "0"),
        ("READ_STORE_TIMEOUT", "soon"),
        ("ACCESS_LOG", "sometimes"),
        ("STRIPE_API_BASE", "localhost:8420"),
    ],
)
def test_a_malformed_setting_is_one_line_naming_it(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv("JWT_SECRET", GOOD_SECRET)
    clean_env.setenv(name, value)
    message = settings_error()
    assert f": {name}: " in message, message


def test_overrides_are_checked_like_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    message = settings_error(jwt_secret=GOOD_SECRET, event_store_url="nonsense")
    assert "EVENT_STORE_URL" in message
    assert "CURRENCY" in settings_error(jwt_secret=GOOD_SECRET, currency="euro")


def test_good_values_are_normalised(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("JWT_SECRET", GOOD_SECRET)
    clean_env.setenv("CURRENCY", "usd")
    clean_env.setenv("CORS_ORIGINS", " http://a.example , http://b.example,, ")
    clean_env.setenv("REDIS_URL", "")
    clean_env.setenv("STRIPE_API_BASE", "http://127.0.0.1:8420/")
    settings = load_settings()
    assert settings.currency == "USD"
    assert settings.cors_origins == ["http://a.example", "http://b.example"]
    assert settings.redis_url is None
    assert settings.stripe_api_base == "http://127.0.0.1:8420"
    assert settings.jwt_secret == GOOD_SECRET


# -- the `shop` command -------------------------------------------------------------------------


def run_shop(
    settings: Settings, *args: str, cwd: Path, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SHOP_BIN), *args],
        env=shop_env(settings, **extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def token(shop: ShopUnderTest, username: str, password: str) -> dict[str, str]:
    answer = shop.http.post("/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_create_admin_and_set_role_take_effect_over_http(
    shop: ShopUnderTest, tmp_path: Path
) -> None:
    settings = shop.settings
    username = "Boss" + uuid.uuid4().hex[:6]
    password = "a long admin password"
    created = run_shop(
        settings,
        "users",
        "create-admin",
        "--username",
        username,
        "--email",
        f"{username}@Example.com",
        "--password",
        password,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert f"admin {username} created" in created.stdout
    assert password not in created.stdout + created.stderr

    headers = token(shop, username, password)
    me = shop.http.get("/protected", headers=headers).json()
    assert (me["username"], me["email"], me["role"]) == (
        username,
        f"{username}@example.com".lower(),
        "admin",
    )
    product = {"name": "CLI teapot", "price": 100, "stock": 1}
    assert shop.http.post("/products", json=product, headers=headers).status_code == 201

    # By email, in another case: the same account.
    changed = run_shop(
        settings, "users", "set-role", f"{username.upper()}@EXAMPLE.COM", "support", cwd=tmp_path
    )
    assert changed.returncode == 0, changed.stderr
    assert "support" in changed.stdout
    # The same token: the change reaches the gateway's access cache (through the worker's
    # access view) within a second; a loaded machine gets a margin.
    poll_until(
        lambda: shop.http.get("/protected", headers=headers).json()["role"] == "support",
        timeout=5,
        what="the role change to reach the gateway",
    )
    refused = shop.http.post("/products", json=product, headers=headers)
    assert refused.status_code == 403, refused.text

    back = run_shop(settings, "users", "set-role", username, "admin", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    poll_until(
        lambda: shop.http.get("/protected", headers=headers).json()["role"] == "admin",
        timeout=5,
        what="the role change back to reach the gateway",
    )
    assert shop.http.post("/products", json=product, headers=headers).status_code == 201

    # The role change is also an event in the store, naming the account by id only.
    topics = [
        n.topic for n in shop.services.shop.recorder.select_notifications(start=1, limit=1000)
    ]
    assert topics.count("domain.accounts:Account.RoleChanged") == 2


def test_cli_refusals_are_clear_and_non_zero(shop: ShopUnderTest, tmp_path: Path) -> None:
    settings = shop.settings
    unknown = run_shop(
        settings, "users", "set-role", "nobody-" + uuid.uuid4().hex[:6], "support", cwd=tmp_path
    )
    assert unknown.returncode != 0
    assert "no account named" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    account = shop.register()
    bad_role = run_shop(settings, "users", "set-role", account["username"], "king", cwd=tmp_path)
    assert bad_role.returncode != 0
    assert "king" in bad_role.stderr
    assert "Traceback" not in bad_role.stderr
    me = shop.http.get("/protected", headers=token(shop, account["username"], account["password"]))
    assert me.json()["role"] == "shopper"

    taken = run_shop(
        settings,
        "users",
        "create-admin",
        "--username",
        account["username"],
        "--email",
        "fresh-" + uuid.uuid4().hex[:6] + "@example.com",
        "--password",
        "a long admin password",
        cwd=tmp_path,
    )
    assert taken.returncode == 1
    assert "already registered" in taken.stderr
    assert "Traceback" not in taken.stderr

    short = run_shop(
        settings,
        "users",
        "create-admin",
        "--username",
        "shorty" + uuid.uuid4().hex[:6],
        "--email",
        "shorty@example.com",
        "--password",
        "short",
        cwd=tmp_path,
    )
    assert short.returncode != 0
    assert "Traceback" not in short.stderr
    assert "password" in short.stderr.lower()


def test_a_malformed_setting_stops_the_worker_with_one_line(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = load_settings(
        jwt_secret=GOOD_SECRET,
        event_store_url=f"sqlite:///{tmp_path}/events.db",
        read_store_url=f"sqlite:///{tmp_path}/views.db",
    )
    answer = run_shop(settings, "worker", cwd=tmp_path, EVENT_STORE_URL="oracle://somewhere")
    assert answer.returncode != 0
    lines = answer.stderr.strip().splitlines()
    assert len(lines) == 1, answer.stderr
    assert "EVENT_STORE_URL" in lines[0]
    assert not (tmp_path / "events.db").exists()
