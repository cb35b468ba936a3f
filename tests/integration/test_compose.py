"""Static checks of the container set-up: compose.yaml, the Dockerfile and deploy/nginx.conf.

The files are parsed and compared with what the system needs, in every `make test`;
`docker compose config` (which needs no engine) runs too when the CLI plugin exists. The
stack itself is built and run by `make compose-test` (tests/compose/), which needs an engine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
COMPOSE_CI_FILE = ROOT / "compose.ci.yaml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
GATEWAY_ENTRYPOINT = ROOT / "deploy" / "gateway-entrypoint.sh"
MAKEFILE = ROOT / "Makefile"

try:
    from infra.settings import Settings
except ModuleNotFoundError:  # an editable install made before infra/ existed maps nothing
    sys.path.insert(0, str(ROOT))
    from infra.settings import Settings

from entrypoints.gateway import READ_METHODS, _wants_html  # noqa: E402 (after the path fix)

DATABASES = ("postgres", "mariadb", "redis")
# service -> the argv prefix it must run, and the port it must listen on (None: no HTTP).
SHOP_PROCESSES: dict[str, tuple[list[str], int | None]] = {
    "command-api": (["shop", "serve", "command"], 8001),
    "query-api": (["shop", "serve", "query"], 8002),
    "worker": (["shop", "worker"], None),
    "stripe-emulator": (["shop", "stripe-emulator"], 8420),
}
APP_SERVICES = ("command-api", "query-api", "worker")  # the ones configured through Settings
REQUIRED_SERVICES = {*DATABASES, *SHOP_PROCESSES, "gateway"}
DEV_ONLY_SERVICES = {"stripe-emulator"}
# The gateway's ports inside its container (unprivileged) and as published on the host.
GATEWAY_HTTP_PORT, GATEWAY_HTTPS_PORT = 8080, 8443
GATEWAY_PUBLISHED = {"80", "443"}  # ${HTTP_PORT:-80} and ${HTTPS_PORT:-443}

INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)
# Shapes of real credentials that must never be written into compose.yaml.
LITERAL_CREDENTIAL = re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_\w+|\bwhsec_\w+")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")


# --- helpers ------------------------------------------------------------------------------------


def load_compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict), "compose.yaml must be a mapping"
    return document


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose.get("services")
    assert isinstance(found, dict) and found, "compose.yaml has no services"
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a dict, whichever of the two compose syntaxes it uses."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        return {key: value for key, value in pairs}
    return {key: "" if value is None else str(value) for key, value in raw.items()}


def command_argv(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def option(argv: list[str], name: str) -> str | None:
    """The value of `--name value` or `--name=value` in argv."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def published_ports(service: dict[str, Any]) -> list[str]:
    """Host-side ports a service publishes (short or long syntax); "" means a random port."""
    ports: list[str] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.append(str(entry.get("published", "")))
            continue
        spec = interpolate(str(entry), {}).split("/", 1)[0]  # defaults in; drop /tcp or /udp
        parts = spec.rsplit(":", 2)  # [ip:]host:container, or container alone
        ports.append(parts[-2] if len(parts) >= 2 else "")
    return ports


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Resolve ${VAR}, ${VAR:-default} and ${VAR:?error} the way compose does."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = variables.get(name, "")
        if op in (":?", "?") and not value:
            raise AssertionError(f"required variable {name} is unset: {arg}")
        if op in (":-", "-") and not value:
            return arg
        return value

    return INTERPOLATION.sub(substitute, text)


def required_variables() -> set[str]:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    return {m["name"] for m in INTERPOLATION.finditer(text) if m["op"] in (":?", "?")}


def dummy_secrets() -> dict[str, str]:
    """A value for every required variable, shaped like the real one (ENV defaults to
    production in compose.yaml, which checks the Stripe values' prefixes)."""
    shapes = {"STRIPE_SECRET_KEY": "sk_test_", "STRIPE_PUBLISHABLE_KEY": "pk_test_"}
    shapes["STRIPE_WEBHOOK_SECRET"] = "whsec_"
    return {
        name: shapes.get(name, f"test-{name.lower()}-") + "x" * 40 for name in required_variables()
    }


def dockerfile_stages() -> dict[str, tuple[str, list[str]]]:
    """Stage name -> (base image, instruction lines of that stage)."""
    stages: dict[str, tuple[str, list[str]]] = {}
    current: list[str] | None = None
    # Join line continuations so each instruction is one line.
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        found = re.match(r"FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if found:
            current = []
            stages[found[2] or f"#{len(stages)}"] = (found[1], current)
        elif current is not None:
            current.append(line)
    return stages


def nginx_text() -> str:
    """nginx.conf without comments (a '#' inside quotes or a regex is not used there)."""
    return re.sub(r"#[^\n]*", "", NGINX_CONF.read_text(encoding="utf-8"))


def nginx_block(text: str, header: str) -> str:
    """The body of the first `header { ... }` block (no nested braces in maps/upstreams)."""
    found = re.search(header + r"\s*\{(?P<body>[^{}]*)\}", text)
    assert found, f"nginx.conf has no block matching {header!r}"
    return found["body"]


def nginx_entries(body: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for statement in body.split(";"):
        words = statement.split()
        if len(words) == 2:
            entries[words[0].strip('"')] = words[1].strip('"')
    return entries


# --- services and processes ---------------------------------------------------------------------


def test_every_service_the_system_needs_exists(services: dict[str, dict[str, Any]]) -> None:
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"compose.yaml lacks services: {sorted(missing)}"


def test_only_the_emulator_is_behind_the_dev_profile(services: dict[str, dict[str, Any]]) -> None:
    for name in DEV_ONLY_SERVICES:
        profiles = services[name].get("profiles") or []
        assert "dev" in profiles, f"{name} must only start with the dev profile, has {profiles}"
    for name in REQUIRED_SERVICES - DEV_ONLY_SERVICES:
        profiles = services[name].get("profiles")
        assert not profiles, f"{name} must start by default, but needs profiles {profiles}"


@pytest.mark.parametrize("name", sorted(SHOP_PROCESSES))
def test_app_service_runs_the_right_shop_command(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    prefix, port = SHOP_PROCESSES[name]
    argv = command_argv(services[name])
    assert argv[: len(prefix)] == prefix, f"{name} runs {argv}, expected {' '.join(prefix)} ..."
    if port is not None:
        assert option(argv, "--port") == str(port), f"{name} must listen on --port {port}: {argv}"
    if name in ("command-api", "query-api"):
        # Inside a container 127.0.0.1 is unreachable from the gateway.
        assert option(argv, "--host") == "0.0.0.0", f"{name} must bind --host 0.0.0.0: {argv}"


def test_app_services_build_the_app_image_and_restart(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        build = services[name].get("build") or {}
        assert isinstance(build, dict), f"{name}: build must name a Dockerfile target"
        assert build.get("target") == "app", f"{name} must build the 'app' target, got {build}"
        restart = services[name].get("restart")
        assert restart == "unless-stopped", f"{name}: restart is {restart!r}"


def test_databases_use_the_agreed_images_and_keep_their_data(
    services: dict[str, dict[str, Any]],
) -> None:
    expected_images = {"postgres": "postgres:16", "mariadb": "mariadb:11", "redis": "redis:7"}
    for name, image in expected_images.items():
        assert services[name].get("image") == image, f"{name} must run {image}"
    data_dirs = {"postgres": "/var/lib/postgresql/data", "mariadb": "/var/lib/mysql"}
    for name, data_dir in data_dirs.items():
        mounts = [str(volume) for volume in services[name].get("volumes") or []]
        assert any(m.endswith(f":{data_dir}") for m in mounts), f"{name}: no volume on {data_dir}"


# --- network exposure ---------------------------------------------------------------------------


def test_only_the_gateway_and_dev_emulator_publish_ports(
    services: dict[str, dict[str, Any]],
) -> None:
    allowed = {"gateway": GATEWAY_PUBLISHED, "stripe-emulator": {"8420"}}
    for name, service in services.items():
        assert service.get("network_mode") != "host", f"{name} must not use the host network"
        published = set(published_ports(service))
        permitted = allowed.get(name, set())
        assert published <= permitted, (
            f"{name} publishes {sorted(published)}; allowed: {sorted(permitted) or 'none'}"
        )
    assert set(published_ports(services["gateway"])) == GATEWAY_PUBLISHED, (
        "gateway must publish HTTP_PORT (80) and HTTPS_PORT (443)"
    )
    targets = {str(entry).rsplit(":", 1)[-1].strip('"') for entry in services["gateway"]["ports"]}
    assert targets == {str(GATEWAY_HTTP_PORT), str(GATEWAY_HTTPS_PORT)}, targets
    # The emulator may publish only because it is dev-only (checked above as well).
    assert "dev" in (services["stripe-emulator"].get("profiles") or [])


# --- secrets ------------------------------------------------------------------------------------


def test_secret_variables_are_required_and_never_literal(
    services: dict[str, dict[str, Any]],
) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for match in INTERPOLATION.finditer(text):
        if SECRET_NAME.search(match["name"]):
            assert match["op"] == ":?", (
                f"{match[0]} is a secret: write ${{{match['name']}:?set {match['name']}}} "
                "so compose refuses to start without it"
            )
    literals = LITERAL_CREDENTIAL.findall(text)
    assert not literals, f"compose.yaml contains literal credentials: {literals}"

    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert INTERPOLATION.fullmatch(value), (
                    f"{name}: {key} must come from the environment (${{{key}:?...}}), not a literal"
                )
            for url in URL_PASSWORD.finditer(value):
                password = url["password"]
                found = INTERPOLATION.fullmatch(password)
                assert found and found["op"] == ":?", (
                    f"{name}: {key} embeds a password that is not a required variable"
                )


def test_env_example_lists_every_required_variable() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    missing = required_variables() - listed
    assert not missing, f".env.example does not mention {sorted(missing)}"


# --- start-up order and health ------------------------------------------------------------------


def test_app_services_wait_for_healthy_databases(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES:
        depends_on = services[name].get("depends_on") or {}
        assert isinstance(depends_on, dict), (
            f"{name}: depends_on must be the long form with conditions, got {depends_on}"
        )
        for database in DATABASES:
            condition = (depends_on.get(database) or {}).get("condition")
            assert condition == "service_healthy", (
                f"{name} must wait for {database} with condition: service_healthy, got {condition}"
            )
    gateway_deps = services["gateway"].get("depends_on") or {}
    for api in ("command-api", "query-api"):
        condition = (gateway_deps.get(api) or {}).get("condition")
        assert condition == "service_healthy", f"gateway must wait for a healthy {api}"


def test_service_healthy_conditions_point_at_services_with_healthchecks(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        depends_on = service.get("depends_on") or {}
        if not isinstance(depends_on, dict):
            continue
        for target, spec in depends_on.items():
            assert target in services, f"{name} depends on unknown service {target}"
            if (spec or {}).get("condition") == "service_healthy":
                assert services[target].get("healthcheck"), (
                    f"{name} waits for {target} to be healthy, but {target} has no healthcheck"
                )


def test_every_healthcheck_has_a_test_command(services: dict[str, dict[str, Any]]) -> None:
    expected = {*DATABASES, "command-api", "query-api", "gateway"}
    without = sorted(name for name in expected if not services[name].get("healthcheck"))
    assert not without, f"these services need a healthcheck: {without}"
    for name, service in services.items():
        healthcheck = service.get("healthcheck")
        if not healthcheck:
            continue
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
        test = healthcheck.get("test")
        if isinstance(test, str):
            assert test.strip(), f"{name}: healthcheck test is empty"
        else:
            assert isinstance(test, list) and len(test) >= 2, f"{name}: healthcheck test {test!r}"
            assert test[0] in ("CMD", "CMD-SHELL"), (
                f"{name}: healthcheck test must start with CMD or CMD-SHELL, got {test[0]!r}"
            )


@pytest.mark.parametrize("name", ["command-api", "query-api"])
def test_api_healthchecks_call_healthz_on_their_own_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    port = SHOP_PROCESSES[name][1]
    test = services[name]["healthcheck"]["test"]
    joined = test if isinstance(test, str) else " ".join(test)
    assert f":{port}/healthz" in joined, f"{name} healthcheck must GET /healthz on {port}"


# --- configuration ------------------------------------------------------------------------------


def test_environment_names_are_settings_fields(services: dict[str, dict[str, Any]]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    required = {name.upper() for name, f in Settings.model_fields.items() if f.is_required()}
    for name in APP_SERVICES:
        env = environment(services[name])
        unknown = env.keys() - fields
        assert not unknown, f"{name} sets {sorted(unknown)}, which infra.settings ignores"
        missing = required - env.keys()
        assert not missing, f"{name} does not set required settings {sorted(missing)}"


def test_store_urls_use_the_service_names(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        "EVENT_STORE_URL": r"postgresql://shop:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/shop",
        "READ_STORE_URL": r"mysql\+pymysql://shop:\$\{MARIADB_PASSWORD:\?[^}]*\}@mariadb:3306/shop",
        "REDIS_URL": r"redis://redis:6379/0",
    }
    for name in APP_SERVICES:
        env = environment(services[name])
        for key, pattern in expected.items():
            assert re.fullmatch(pattern, env.get(key, "")), (
                f"{name}: {key}={env.get(key)!r} does not match {pattern}"
            )


def test_compose_environment_is_accepted_by_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    """With the secrets filled in, every app's environment passes the Settings validators."""
    variables = dummy_secrets()
    for name in APP_SERVICES:
        values = {
            key.lower(): interpolate(value, variables)
            for key, value in environment(services[name]).items()
        }
        settings = Settings(**values)
        assert settings.env == "production", f"{name}: compose.yaml must default to production"
        assert settings.event_store_url.startswith("postgresql://"), name
        assert settings.read_store_url.startswith("mysql+pymysql://"), name
        assert settings.redis_url == "redis://redis:6379/0", name
        assert settings.stripe_api_base is None, f"{name}: the default must be real Stripe"


# --- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_stages_named_in_compose_exist(services: dict[str, dict[str, Any]]) -> None:
    stages = dockerfile_stages()
    for name, service in services.items():
        build = service.get("build")
        if build is None:
            continue
        assert isinstance(build, dict) and build.get("target"), (
            f"{name} builds without naming a Dockerfile target"
        )
        assert build["target"] in stages, (
            f"{name} builds target {build['target']!r}; Dockerfile has {sorted(stages)}"
        )
        dockerfile = build.get("dockerfile", "Dockerfile")
        assert (ROOT / build.get("context", ".") / dockerfile).resolve() == DOCKERFILE


def test_dockerfile_builds_frontend_python_and_gateway() -> None:
    stages = dockerfile_stages()
    bases = {name: base for name, (base, _) in stages.items()}

    node = [name for name, base in bases.items() if base.startswith("node:20")]
    assert node, f"no node:20 stage in {bases}"
    node_steps = " ".join(stages[node[0]][1])
    assert "npm ci" in node_steps and "npm run build" in node_steps, node_steps

    app_base, app_steps = stages["app"]
    assert app_base.startswith("python:3.11-slim"), f"app stage is based on {app_base}"
    users = [line.split()[1] for line in app_steps if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), f"app must run as non-root, USER={users}"
    installs = " ".join(line for (_, steps) in stages.values() for line in steps)
    assert "uv.lock" in installs, "the images must install from the lock file"
    syncs = re.findall(r"uv sync ([^&;]*)", installs)
    assert syncs and all("--locked" in sync for sync in syncs), f"every uv sync --locked: {syncs}"
    assert "[dev]" not in installs and "--extra dev" not in installs, "no dev extras in images"
    assert "pip install ." not in installs, "no unlocked installs"

    gateway_base, gateway_steps = stages["gateway"]
    assert gateway_base.startswith("nginx"), f"gateway stage is based on {gateway_base}"
    gateway_text = " ".join(gateway_steps)
    assert "deploy/nginx.conf" in gateway_text, "gateway must ship deploy/nginx.conf"
    assert "deploy/gateway-entrypoint.sh" in gateway_text, "gateway must ship its entrypoint"
    assert f"--from={node[0]}" in gateway_text and "dist" in gateway_text, (
        "gateway must copy the built storefront (frontend/dist) from the node stage"
    )


# --- nginx --------------------------------------------------------------------------------------


def test_nginx_routes_reads_to_query_and_the_rest_to_command(
    services: dict[str, dict[str, Any]],
) -> None:
    text = nginx_text()
    found = re.search(r"map\s+\$request_method\s+\$(\w+)\s*\{", text)
    assert found, "nginx.conf must choose the upstream with `map $request_method $...`"
    variable = found[1]
    routes = nginx_entries(nginx_block(text, rf"map\s+\$request_method\s+\${variable}"))

    query, command = routes.get("GET"), routes.get("default")
    assert query and routes.get("HEAD") == query, f"GET and HEAD must share an upstream: {routes}"
    assert command and command != query, f"other methods need their own upstream: {routes}"
    to_query = {method for method, upstream in routes.items() if upstream == query}
    assert to_query == {"GET", "HEAD"}, f"only GET/HEAD may reach the query side: {to_query}"

    # Service names, resolved per request (a variable in proxy_pass), never `upstream` blocks:
    # those resolve once at start and keep dead addresses after a container is recreated.
    for target, service in ((query, "query-api"), (command, "command-api")):
        assert target == f"{service}:{SHOP_PROCESSES[service][1]}", (
            f"{service} must be reached by name and port, found {target}"
        )
        argv = command_argv(services[service])
        assert option(argv, "--port") == str(SHOP_PROCESSES[service][1])
    assert not re.search(r"\bupstream\s+\w+\s*\{", text), "no static upstream blocks"
    assert "include /tmp/nginx/runtime.conf" in text, "the resolver comes from runtime.conf"
    entrypoint = GATEWAY_ENTRYPOINT.read_text(encoding="utf-8")
    assert "/etc/resolv.conf" in entrypoint and "resolver" in entrypoint, (
        "gateway-entrypoint.sh must write a resolver from the container's DNS"
    )

    proxied = re.findall(r"proxy_pass\s+([^;]+);", text)
    assert proxied, "nginx.conf proxies nothing"
    assert all(target == f"http://${variable}" for target in proxied), (
        f"every proxy_pass must go through the method map (${variable}): {proxied}"
    )
    assert re.search(rf"listen\s+{GATEWAY_HTTPS_PORT}\s+ssl\b", text), "no HTTPS listener"
    assert re.search(rf"listen\s+{GATEWAY_HTTP_PORT}\b", text), "no HTTP listener"


def test_nginx_serves_the_storefront_and_keeps_the_event_position() -> None:
    text = nginx_text()
    assert re.search(r"map\s+\$http_accept\s", text), "no Accept-based SPA fallback"
    assert "/index.html" in text, "html navigations must fall back to /index.html"
    assets = nginx_block(text, r"location\s+(?:\^~\s+)?/assets/")
    assert "immutable" in assets or "expires" in assets, "/assets must be cached long"
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s", text), "no proxy headers"
    assert not re.search(r"proxy_hide_header\s+X-Event-Position", text, re.IGNORECASE)
    assert re.search(r"proxy_set_header\s+X-Event-Position\s+\$http_x_event_position", text)


# --- docker compose (needs the CLI plugin, not an engine) ---------------------------------------


def test_docker_compose_config_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("`docker compose config` not run: no docker binary on PATH")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        detail = (probe.stderr or probe.stdout).strip().splitlines()
        pytest.skip(
            "`docker compose config` not run: the docker CLI has no compose plugin"
            f" ({detail[0] if detail else f'exit {probe.returncode}'})"
        )
    env = {**os.environ, **dummy_secrets()}
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "--profile", "dev", "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"docker compose config failed:\n{result.stderr}"


# --- images: unprivileged, with a healthcheck, from the lock -------------------------------------


def _stage_chain(stages: dict[str, tuple[str, list[str]]], name: str) -> list[str]:
    """The stage's own lines after those of the stages it builds FROM (inheritance order)."""
    base, steps = stages[name]
    return (_stage_chain(stages, base) if base in stages else []) + steps


@pytest.mark.parametrize("target", ["app", "stripe-emulator", "gateway"])
def test_images_run_unprivileged_with_a_healthcheck(target: str) -> None:
    lines = _stage_chain(dockerfile_stages(), target)
    users = [line.split()[1] for line in lines if line.upper().startswith("USER ")]
    assert users, f"{target} never sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"{target} must run as a numeric non-root uid: {uid}"
    checks = [line for line in lines if line.upper().startswith("HEALTHCHECK ")]
    assert checks and "NONE" not in checks[-1].upper(), f"{target} has no HEALTHCHECK"


def test_dockerfile_is_plain_and_pins_uv_like_the_makefile() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert not re.search(r"^#\s*syntax=", text, re.MULTILINE), (
        "a `# syntax=` line makes BuildKit fetch a frontend image from a registry"
    )
    assert "--mount=" not in text, "BuildKit-only mounts: a PaaS or legacy builder rejects them"
    docker_uv = re.search(r"^ARG UV_VERSION=(\S+)", text, re.MULTILINE)
    make_uv = re.search(r"^UV_VERSION := (\S+)", MAKEFILE.read_text(encoding="utf-8"), re.M)
    assert docker_uv and make_uv, "UV_VERSION must be set in the Dockerfile and the Makefile"
    assert docker_uv[1] == make_uv[1], (
        f"UV_VERSION: Dockerfile {docker_uv[1]}, Makefile {make_uv[1]}"
    )


def test_the_lock_file_matches_pyproject() -> None:
    uv = ROOT / ".venv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("no .venv/bin/uv (make installs it)")
    result = subprocess.run(
        [str(uv), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"uv.lock is stale, run `make lock`:\n{result.stderr}"


# --- the gateway's TLS, headers and limits ------------------------------------------------------


def test_gateway_terminates_tls_and_redirects_http(services: dict[str, dict[str, Any]]) -> None:
    text = nginx_text()
    assert "ssl_certificate /etc/nginx/tls/fullchain.pem;" in text
    assert "ssl_certificate_key /etc/nginx/tls/privkey.pem;" in text
    assert re.search(r"ssl_protocols\s+TLSv1\.2\s+TLSv1\.3;", text), "TLS 1.2+ only"
    http_server = nginx_text().split(f"listen {GATEWAY_HTTPS_PORT}")[0]
    assert re.search(r"return\s+308\s+https://\$host\$public_https_port\$request_uri;", http_server)
    mounts = [str(volume) for volume in services["gateway"].get("volumes") or []]
    assert any(m.endswith(":/etc/nginx/tls:ro") for m in mounts), f"no TLS mount: {mounts}"
    env = environment(services["gateway"])
    assert env.get("PUBLIC_HTTPS_PORT") == "${HTTPS_PORT:-443}", "redirects must use HTTPS_PORT"


def test_gateway_sends_security_headers_and_limits_clients() -> None:
    text = nginx_text()
    headers = (ROOT / "deploy" / "security-headers.conf").read_text(encoding="utf-8")
    for header in (
        "Strict-Transport-Security",
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
    ):
        assert f"add_header {header} " in headers, f"security-headers.conf lacks {header}"
    # add_header is not inherited into a location with its own add_header: each such
    # location must include the security headers again.
    for block in re.findall(r"location[^{]*\{([^{}]*)\}", text):
        if "add_header" in block:
            assert "include /etc/nginx/security-headers.conf;" in block, block
    assert re.search(r"limit_req_zone\s+\$per_client_key\s+zone=per_client:", text)
    assert re.search(r"limit_req_zone\s+\$credentials_key\s+zone=credentials:", text)
    assert "limit_req_status 429;" in text
    assert re.search(r"client_max_body_size\s+1m;", text)
    assert "gzip_static on;" in nginx_block(text, r"location\s+\^~\s+/assets/")


def test_ci_override_only_builds_on_the_host_network() -> None:
    with COMPOSE_CI_FILE.open(encoding="utf-8") as handle:
        override = yaml.safe_load(handle)
    assert set(override) == {"services"}, f"compose.ci.yaml may only touch services: {override}"
    built = {name for name, service in load_compose()["services"].items() if "build" in service}
    assert set(override["services"]) == built, "every built service, and nothing else"
    for name, service in override["services"].items():
        assert service == {"build": {"network": "host"}}, f"{name}: {service}"


def compose_config_json(*files: Path, extra_env: dict[str, str]) -> dict[str, Any]:
    """`docker compose config` of these files (needs only the CLI plugin, not an engine)."""
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("`docker compose config` not run: no docker binary on PATH")
    if subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode:
        pytest.skip("`docker compose config` not run: the docker CLI has no compose plugin")
    args = [arg for path in files for arg in ("-f", str(path))]
    result = subprocess.run(
        [docker, "compose", *args, "config", "--format", "json"],
        cwd=ROOT,
        env={**os.environ, **dummy_secrets(), **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"docker compose config failed:\n{result.stderr}"
    return dict(json.loads(result.stdout))


def test_managed_stores_override_drops_the_store_containers() -> None:
    managed = {
        "EVENT_STORE_URL": "postgresql://shop:pw@db.example.internal:5432/shop",
        "READ_STORE_URL": "mysql+pymysql://shop:pw@views.example.internal:3306/shop",
        "REDIS_URL": "rediss://cache.example.internal:6379/0",
    }
    config = compose_config_json(
        COMPOSE_FILE, ROOT / "deploy" / "compose.managed-stores.yaml", extra_env=managed
    )
    services = config["services"]
    assert not set(DATABASES) & services.keys(), f"store containers still run: {list(services)}"
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert {key: env[key] for key in managed} == managed, name
        assert not set(DATABASES) & set(services[name].get("depends_on") or {}), name
        Settings(**{key.lower(): value for key, value in env.items()})


# --- the same routing as the embedded gateway of `make run` -------------------------------------

MEDIA_TYPES = ["text/html", "application/json", "application/xhtml+xml", "*/*", "image/avif"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(MEDIA_TYPES),
            st.sampled_from(["", ";q=0.9", ";q=0.8", "; q=1"]),
            st.sampled_from(["", " ", "  "]),
        ),
        max_size=5,
    )
)
def test_nginx_and_the_embedded_gateway_agree_on_browser_navigations(
    accept: list[tuple[str, str, str]],
) -> None:
    """Both gateways send a GET to the storefront exactly when the other one does."""
    header = ",".join(f"{space}{media}{params}" for media, params, space in accept)
    rule = nginx_entries(nginx_block(nginx_text(), r"map\s+\$http_accept\s+\$accepts_html"))
    patterns = [key for key, value in rule.items() if value == "1"]
    assert len(patterns) == 1 and patterns[0].startswith("~") and not patterns[0].startswith("~*")
    nginx_says = re.search(patterns[0][1:], header) is not None
    scope = {"headers": [(b"accept", header.encode("latin-1"))]}
    assert nginx_says == _wants_html(scope), header


def test_nginx_and_the_embedded_gateway_split_the_same_methods() -> None:
    routes = nginx_entries(nginx_block(nginx_text(), r"map\s+\$request_method\s+\$api_upstream"))
    to_query = {method for method, target in routes.items() if target.startswith("query-api:")}
    assert to_query == READ_METHODS
