"""The layers import only downwards: domain <- application <- infra <- projections/workers/web
<- the APIs <- entrypoints. A test keeps it so, because an upward import is easy to add and
hard to see in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "domain",
    "application",
    "infra",
    "projections",
    "workers",
    "web",
    "command_api",
    "query_api",
    "entrypoints",
)
# What each package must never import (directly or in a function body).
FORBIDDEN: dict[str, set[str]] = {
    "domain": set(PACKAGES) - {"domain"},
    "application": set(PACKAGES) - {"domain", "application"},
    "infra": {"projections", "workers", "web", "command_api", "query_api", "entrypoints"},
    "projections": {"workers", "web", "command_api", "query_api", "entrypoints"},
    "workers": {"web", "command_api", "query_api", "entrypoints"},
    "web": {"command_api", "query_api", "entrypoints", "workers"},
    "command_api": {"query_api", "entrypoints", "workers"},
    "query_api": {"command_api", "entrypoints", "workers"},
    "entrypoints": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_downwards(package: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(_imports(path) & FORBIDDEN[package])
    ]
    assert not wrong, "\n".join(wrong)
