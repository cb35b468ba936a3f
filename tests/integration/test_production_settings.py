"""ENV=production: the shop refuses development-only configuration with one clear line, and
the real `shop` processes exit before serving anything."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.settings import SettingsError, load_settings
from tests.support.processes import ROOT, SETTING_NAMES, SHOP_BIN

REAL_SECRET = "k3Jx9-pQ2vZr8LmN4tYw7aBcDeFgHiJkLmNoPqRsTuV"
PRODUCTION = {
    "ENV": "production",
    "JWT_SECRET": REAL_SECRET,
    "STRIPE_SECRET_KEY": "sk_test_51Hxyz",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_51Hxyz",
    "STRIPE_WEBHOOK_SECRET": "whsec_4f9a8b7c6d5e",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A complete, valid production environment; each test spoils one thing."""
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal() -> str:
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message and message.startswith("configuration error: "), message
    return message


def test_a_complete_production_environment_starts(production: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.env == "production"
    assert settings.stripe_api_base is None and not settings.stripe_is_emulated


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"STRIPE_EMULATOR": "true"}, "STRIPE_EMULATOR"),
        ({"STRIPE_API_BASE": "http://127.0.0.1:8420"}, "STRIPE_API_BASE"),
        ({"STRIPE_API_BASE": "http://stripe-emulator:8420"}, "STRIPE_API_BASE"),
        ({"JWT_SECRET": "change-me-to-at-least-32-random-characters"}, "JWT_SECRET"),
        ({"JWT_SECRET": "short-secret"}, "JWT_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": "whsec_change-me"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": "sk_test_pasted_the_wrong_one"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY"),
        ({"CORS_ORIGINS": "*"}, "CORS_ORIGINS"),
        ({"ENV": "prod"}, "ENV"),
    ],
)
def test_development_only_configuration_is_refused_in_one_line(
    production: pytest.MonkeyPatch, changes: dict[str, str | None], named: str
) -> None:
    for name, value in changes.items():
        if value is None:
            production.delenv(name)
        else:
            production.setenv(name, value)
    assert refusal().startswith(f"configuration error: {named}: ")


def test_development_keeps_the_offline_defaults(production: pytest.MonkeyPatch) -> None:
    production.setenv("ENV", "development")
    production.setenv("STRIPE_EMULATOR", "true")
    production.setenv("STRIPE_API_BASE", "http://stripe-emulator:8420")
    production.delenv("STRIPE_WEBHOOK_SECRET")
    settings = load_settings()
    assert settings.stripe_is_emulated


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["http", "https"]),
            st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}", fullmatch=True),
            st.one_of(st.none(), st.integers(1, 65535)),
            st.booleans(),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_cors_origins_are_normalised_to_what_browsers_send(
    origins: list[tuple[str, str, int | None, bool]],
) -> None:
    """A trailing slash (a common copy-paste from the address bar) is dropped, since the
    browser's Origin header never has one and the match would silently fail."""
    written = [
        f"{scheme}://{host}{f':{port}' if port else ''}{'/' if slash else ''}"
        for scheme, host, port, slash in origins
    ]
    settings = load_settings(jwt_secret=REAL_SECRET, cors_origins=" , ".join(written))
    assert settings.cors_origins == [origin.rstrip("/") for origin in written]


@pytest.mark.parametrize("origin", ["netlify.app", "https://shop.example/path", "ftp://x.example"])
def test_a_cors_entry_that_is_no_origin_is_refused(origin: str) -> None:
    with pytest.raises(SettingsError, match="CORS_ORIGINS"):
        load_settings(jwt_secret=REAL_SECRET, cors_origins=origin)


@pytest.mark.parametrize("command", [["serve", "command"], ["serve", "query"], ["worker"]])
def test_the_processes_refuse_to_start(command: list[str]) -> None:
    """The real entry points exit with the one line before binding a port or a store."""
    env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
    env.update(PRODUCTION, STRIPE_EMULATOR="true", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [str(SHOP_BIN), *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: STRIPE_EMULATOR: "), (
        result.stderr
    )
