"""Schemathesis against the merged OpenAPI document of the real gateway (its /openapi.json),
on PostgreSQL + MariaDB + Redis, once with an admin's token and once with a shopper's:
every answer is no server error and matches the document (status, content type, body).

Valid and invalid requests (schemathesis' positive and negative generation). Bounded to fit
the suite: FUZZ_EXAMPLES cases per operation, token and mode, no shrinking.
Failures are collected over all operations and reported together.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.settings import Settings
from tests.support.servers import ShopUnderTest, start_shop
from tests.support.shopping import new_product, person, place_order

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Logging out would revoke the token the rest of the run uses (it is fuzzed without one).
KEEP_TOKEN = {("POST", "/logout")}


@pytest.fixture
def fuzzed(backend: str, settings: Settings) -> Iterator[ShopUnderTest]:
    if backend == "sqlite":
        pytest.skip("fuzzed on the services backend (PostgreSQL + MariaDB + Redis)")
    # A short read-your-writes wait: fuzzed positions the views never reach cost 1 s, not 10.
    quick = settings.model_copy(update={"read_your_writes_timeout": 1.0})
    with start_shop(quick) as shop:
        yield shop


def fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    auth: dict[str, str],
    who: str,
    failures: list[str],
) -> int:
    """Run FUZZ_EXAMPLES generated cases; record the first failure. Returns the calls made."""
    calls = 0
    label = f"{who} {mode.value} {operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        merged = {**(case.headers or {}), **auth}
        try:
            response = case.call(base_url=base_url, headers=merged, timeout=60)
        except Exception as error:  # no answer at all (a hang, a dropped connection)
            failures.append(f"{label}: no answer: {type(error).__name__}: {error}")
            raise
        try:
            case.validate_response(response, checks=CHECKS, headers=merged)
        except Exception as error:
            failures.append(f"{label}: {response.status_code} {str(error)[:800]}")
            raise

    try:
        run()
    except Unsatisfiable:
        pass  # nothing to make invalid (an operation without inputs, in negative mode)
    except Exception as error:
        if not failures or not failures[-1].startswith(label):
            failures.append(f"{label}: could not run: {type(error).__name__}: {error}")
    return calls


def test_fuzzing_finds_no_server_error_and_no_schema_violation(fuzzed: ShopUnderTest) -> None:
    shop = fuzzed
    place_order(shop)  # something to find: products, carts, orders
    new_product(shop)
    document = shop.http.get("/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    tokens = {"admin": shop.admin(), "shopper": person(shop).headers}
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        keep = (operation.method.upper(), operation.path) in KEEP_TOKEN
        for who, auth in tokens.items():
            # Valid requests (they must succeed or be refused as documented), and invalid ones
            # (wrong types, missing fields, odd headers): never a 500, never off the document.
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                calls += fuzz(operation, mode, shop.url, {} if keep else auth, who, failures)
    assert calls > 20 * len(tokens), calls  # it did fuzz
    assert not failures, "\n\n".join(failures)
    with httpx.Client(base_url=shop.url) as http:
        assert http.get("/healthz").status_code == 200  # and the shop is still well
