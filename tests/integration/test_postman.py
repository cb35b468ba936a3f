"""The Postman collection (docs/postman) run by newman against the embedded shop: the real
gateway app over HTTP, the projection worker and the Stripe emulator with its webhooks.
`make compose-test` runs the same collection against the containers over HTTPS."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.servers import ShopUnderTest

ROOT = Path(__file__).resolve().parents[2]
POSTMAN = ROOT / "docs" / "postman"
COLLECTION = POSTMAN / "order-platform.postman_collection.json"
NEWMAN = POSTMAN / "node_modules" / ".bin" / "newman"
PHASES = ("ping", "register", "login", "protected", "products", "cart", "checkout", "orders")


def newman_or_skip() -> Path:
    if NEWMAN.exists() and shutil.which("node"):
        return NEWMAN
    message = "newman is not installed (make newman, or make test, installs it)"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def requests_of(items: list[dict[str, object]]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for item in items:
        if "item" in item:
            found += requests_of(item["item"])  # type: ignore[arg-type]
        else:
            found.append(item)
    return found


def test_every_request_has_tests_and_every_phase_is_covered() -> None:
    collection = json.loads(COLLECTION.read_text(encoding="utf-8"))
    requests = requests_of(collection["item"])
    untested = [
        r["name"]
        for r in requests
        if not any(e["listen"] == "test" for e in r.get("event", []))  # type: ignore[union-attr]
    ]
    assert not untested, f"requests without tests: {untested}"
    urls = " ".join(str(r["request"]["url"]) for r in requests)  # type: ignore[index]
    for phase in (*PHASES, "refunds", "logout", "fulfil"):
        assert f"/{phase}" in urls, f"no request for /{phase}"
    variables = {v["key"] for v in collection["variable"]}
    assert {"baseUrl", "adminUsername", "adminPassword"} <= variables, variables
    assert all(
        "{{baseUrl}}" in str(r["request"]["url"]) or "stripe.com" in str(r["request"]["url"])
        for r in requests
    )  # type: ignore[index]


def test_the_collection_passes_against_the_embedded_shop(
    shop: ShopUnderTest, tmp_path: Path
) -> None:
    newman = newman_or_skip()
    admin = "pmadmin" + uuid.uuid4().hex[:6]
    password = "postman admin password"
    shop.services.accounts.register(admin, f"{admin}@example.com", password, role="admin")
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [
            str(newman),
            "run",
            str(COLLECTION),
            *("--env-var", f"baseUrl={shop.url}"),
            *("--env-var", f"adminUsername={admin}"),
            *("--env-var", f"adminPassword={password}"),
            *("--timeout-request", "60000", "--color", "off"),
            *("--reporters", "cli,json", "--reporter-json-export", str(report)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr
    stats = json.loads(report.read_text(encoding="utf-8"))["run"]["stats"]
    assert stats["assertions"]["failed"] == 0 and stats["assertions"]["total"] >= 100, stats
    executed = {e["item"]["name"] for e in json.loads(report.read_text())["run"]["executions"]}
    assert {"Order becomes paid", "Partial refund", "Fulfil"} <= executed, executed
