"""The checks `make compose-test` runs against the real container stack, in order.

Each step raises CheckFailed (or ComposeError) with what it saw; the run stops at the first
failure, prints the failing services' logs and removes the stack.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.compose.shopper import CheckFailed, Shop, expect, https_client
from tests.compose.stack import Container, Stack

PROJECT = "order-platform-compose-test"
NEWMAN = Path("docs/postman/node_modules/.bin/newman")
COLLECTION = Path("docs/postman/order-platform.postman_collection.json")
SCALED = {"command-api": 2, "query-api": 2, "worker": 2}
UPSTREAM = re.compile(r"upstream=(?P<addresses>.*?) position=")
ADDRESS = re.compile(r"(\d+\.\d+\.\d+\.\d+):(\d+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Context:
    """What the steps share: the stack, where it answers, and who may log in."""

    root: Path
    stack: Stack
    ca_file: Path
    http_port: int
    https_port: int
    admin: tuple[str, str] = ("", "")
    notes: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def shop(self) -> Shop:
        return Shop(https_client(self.base_url, self.ca_file))

    def admin_headers(self, shop: Shop) -> dict[str, str]:
        return shop.login(*self.admin)


def write_env_file(path: Path, tls_dir: Path, http_port: int, https_port: int) -> None:
    """Fresh random secrets per run; the dev profile's emulator instead of Stripe."""
    values = {
        "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
        "MARIADB_PASSWORD": secrets.token_urlsafe(24),
        "MARIADB_ROOT_PASSWORD": secrets.token_urlsafe(24),
        "JWT_SECRET": secrets.token_urlsafe(48),
        "STRIPE_SECRET_KEY": "sk_test_compose",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_compose",
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_urlsafe(24),
        "STRIPE_API_BASE": "http://stripe-emulator:8420",
        "STRIPE_EMULATOR": "true",
        "ENV": "development",
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
        "TLS_DIR": str(tls_dir),
        "ACME_WEBROOT": str(tls_dir.parent / "acme"),
        "SHOP_IMAGE_TAG": "compose-test",
        # The scenario signs many accounts in from one address; nginx's limit is the one
        # step_rate_limits checks (the APIs' own limits are tested in the Python suite).
        "RATE_LIMIT_LOGIN": "1000/minute",
        "RATE_LIMIT_LOGIN_ACCOUNT": "1000/minute",
        "RATE_LIMIT_REGISTER": "1000/minute",
    }
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    path.chmod(0o600)


# -- helpers over the stack ---------------------------------------------------------------------


def upstreams_since(ctx: Context, since: str) -> Counter[tuple[str, int]]:
    """(address, port) pairs the gateway proxied to since `since`, from its access log."""
    seen: Counter[tuple[str, int]] = Counter()
    for line in ctx.stack.logs("gateway", since=since).splitlines():
        found = UPSTREAM.search(line)
        if found:
            for ip, port in ADDRESS.findall(found["addresses"]):
                seen[(ip, int(port))] += 1
    return seen


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def traffic_to_both_sides(ctx: Context, count: int = 24) -> None:
    """Reads (GET /ping: query side) and commands (POST /cart without a token: a cheap 401
    from the command side)."""
    with https_client(ctx.base_url, ctx.ca_file) as http:
        for _ in range(count):
            expect(http.get("/ping").status_code == 200, "GET /ping through the gateway failed")
            denied = http.post("/cart", json={})
            expect(denied.status_code == 401, f"POST /cart without token: {denied.status_code}")


def check_balanced(ctx: Context, since: str) -> None:
    """The gateway reached exactly the current replicas of each API, every one of them."""
    seen = upstreams_since(ctx, since)
    for service, port in (("query-api", 8002), ("command-api", 8001)):
        current = {c.ip for c in ctx.stack.containers(service) if c.state == "running"}
        used = {ip for (ip, p) in seen if p == port}
        expect(
            used == current,
            f"gateway sent {service} traffic to {sorted(used)}, its replicas are {sorted(current)}",
        )


def production_refusal(ctx: Context, extra_env: dict[str, str], expected: str) -> None:
    env_args = [arg for key, value in extra_env.items() for arg in ("-e", f"{key}={value}")]
    command = ["run", "--rm", "--no-deps", "-T", "-e", "ENV=production", *env_args]
    try:
        result = ctx.stack.run(
            *command, "command-api", "shop", "serve", "command", check=False, timeout=120
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"ENV=production with {extra_env} started and kept running") from None
    lines = [line for line in result.stderr.splitlines() if "configuration error" in line]
    expect(result.returncode != 0, f"ENV=production with {extra_env} started: {result.stdout}")
    expect(
        len(lines) == 1 and lines[0].startswith(f"configuration error: {expected}:"),
        f"ENV=production with {extra_env}: expected one line naming {expected}, got {lines}",
    )
    ctx.notes.append(lines[0])


# -- the steps --------------------------------------------------------------------------------


def step_build(ctx: Context) -> None:
    ctx.stack.build()


def step_up(ctx: Context) -> None:
    ctx.stack.up()
    services = {c.service for c in ctx.stack.containers()}
    expected = {"postgres", "mariadb", "redis", "command-api", "query-api", "worker", "gateway"}
    expect(expected | {"stripe-emulator"} <= services, f"services running: {sorted(services)}")
    migrated = ctx.stack.logs("migrate")
    expect("views: " in migrated and "accounts: " in migrated, f"migrate said: {migrated!r}")
    bad = ctx.stack.failing_services()
    expect(not bad, f"not healthy after up --wait: {bad}")


def step_production_settings(ctx: Context) -> None:
    production_refusal(ctx, {}, "STRIPE_EMULATOR")
    production_refusal(
        ctx,
        {
            "STRIPE_EMULATOR": "false",
            "STRIPE_API_BASE": "",
            "JWT_SECRET": "change-me-to-at-least-32-random-characters",
        },
        "JWT_SECRET",
    )


def step_managed_stores_override(ctx: Context) -> None:
    """The AWS/managed-stores variant of docs/deploy.md: no store containers, the URLs given."""
    managed = {
        "EVENT_STORE_URL": "postgresql://shop:pw@db.example.internal:5432/shop",
        "READ_STORE_URL": "mysql+pymysql://shop:pw@views.example.internal:3306/shop",
        "REDIS_URL": "rediss://cache.example.internal:6379/0",
    }
    result = subprocess.run(
        [
            *("docker", "compose", "--env-file", str(ctx.stack.env_file)),
            *("-f", str(ctx.root / "compose.yaml")),
            *("-f", str(ctx.root / "deploy" / "compose.managed-stores.yaml")),
            *("config", "--format", "json"),
        ],
        cwd=ctx.root,
        env={**os.environ, **managed},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    expect(result.returncode == 0, f"compose config with the override: {result.stderr}")
    services = json.loads(result.stdout)["services"]
    stores = {"postgres", "mariadb", "redis"} & services.keys()
    expect(not stores, f"the override still runs {sorted(stores)}")
    for name in ("command-api", "query-api", "worker"):
        env = services[name]["environment"]
        expect(all(env[key] == value for key, value in managed.items()), f"{name}: {env}")


def step_gateway(ctx: Context) -> None:
    import httpx

    plain = f"http://localhost:{ctx.http_port}"
    with httpx.Client(base_url=plain, timeout=10) as http:
        moved = http.get("/products?limit=1")
        expect(moved.status_code == 308, f"HTTP GET: {moved.status_code}, expected 308")
        location = moved.headers.get("location")
        expect(location == f"{ctx.base_url}/products?limit=1", f"redirect to {location}")
        posted = http.post("/cart", json={})
        expect(posted.status_code == 308, f"HTTP POST: {posted.status_code} (308 keeps the POST)")
        expect(http.get("/gateway-healthz").status_code == 200, "HTTP /gateway-healthz")

    with https_client(ctx.base_url, ctx.ca_file) as http:
        ping = http.get("/ping")
        expect(ping.status_code == 200 and ping.json() == "pong", f"/ping: {ping.text}")
        for name, value in (
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
        ):
            expect(ping.headers.get(name) == value, f"{name}: {ping.headers.get(name)}")
        expect("default-src 'self'" in ping.headers.get("content-security-policy", ""), "no CSP")
        expect("strict-transport-security" not in ping.headers, "HSTS sent for localhost")
        named = http.get("/ping", headers={"Host": "shop.example.test"})
        hsts = named.headers.get("strict-transport-security", "")
        expect(hsts.startswith("max-age=63072000"), f"HSTS for a real host name: {hsts!r}")

        page = http.get("/orders", headers={"Accept": "text/html,application/xhtml+xml,*/*"})
        expect(page.status_code == 200 and 'id="root"' in page.text, "navigation: no storefront")
        expect(page.headers.get("cache-control") == "no-cache", "index.html must be no-cache")
        asset = re.search(r'/assets/[^"]+\.js', page.text)
        expect(asset is not None, "index.html names no script asset")
        assert asset is not None
        js = http.get(asset[0], headers={"Accept-Encoding": "gzip"})
        expect(js.headers.get("content-encoding") == "gzip", "asset not served compressed")
        expect("immutable" in js.headers.get("cache-control", ""), "asset not cached long")

        listed = http.get("/products", headers={"Accept": "application/json"})
        expect(listed.status_code == 200 and "items" in listed.json(), f"GET /products: {listed}")
        denied = http.post("/products", json={})
        expect(denied.status_code == 401 and "detail" in denied.json(), "POST without a token")
        docs = http.get("/docs", headers={"Accept": "text/html"})
        expect("swagger" in docs.text.lower(), "/docs must be Swagger UI, not the storefront")
        big = http.post(
            "/products", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "text/plain"}
        )
        expect(big.status_code == 413 and "detail" in big.json(), f"2 MB body: {big.status_code}")


def step_postman(ctx: Context) -> None:
    name = "admin" + uuid.uuid4().hex[:6]
    password = "compose admin " + secrets.token_urlsafe(8)
    ctx.stack.exec(
        "command-api",
        *("shop", "users", "create-admin", "--username", name),
        *("--email", f"{name}@example.com", "--password", password),
    )
    ctx.admin = (name, password)
    result = subprocess.run(
        [
            str(ctx.root / NEWMAN),
            "run",
            str(ctx.root / COLLECTION),
            *("--env-var", f"baseUrl={ctx.base_url}"),
            *("--env-var", f"adminUsername={name}"),
            *("--env-var", f"adminPassword={password}"),
            *("--ssl-extra-ca-certs", str(ctx.ca_file)),
            *("--timeout-request", "60000", "--color", "off"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    expect(result.returncode == 0, f"newman failed:\n{result.stdout[-6000:]}{result.stderr}")
    summary = re.search(r"assertions\s*│\s*(\d+)\s*│\s*(\d+)", result.stdout)
    if summary:
        ctx.notes.append(f"newman: {summary[1]} assertions, {summary[2]} failed")


def step_purchase(ctx: Context) -> None:
    with ctx.shop().http as http:
        shop = Shop(http)
        product = shop.new_product(ctx.admin_headers(shop), price=1250, stock=3)
        buyer = shop.new_shopper()
        order_id = shop.place_and_pay(buyer, product, quantity=2)
        order = shop.wait_until_paid(buyer, order_id)
        expect(order["total"] == 2500, f"paid order total {order['total']}")
        stock = shop.read(f"/products/{product}")["stock"]
        expect(stock == 1, f"stock after selling 2 of 3: {stock}")


def step_scale(ctx: Context) -> None:
    ctx.stack.up(scale=SCALED)
    for service, count in SCALED.items():
        running = [c for c in ctx.stack.containers(service) if c.state == "running"]
        expect(len(running) == count, f"{service}: {len(running)} running, wanted {count}")
    since = now_iso()
    traffic_to_both_sides(ctx)
    check_balanced(ctx, since)


def step_recreate(ctx: Context) -> None:
    gateway_before = ctx.stack.containers("gateway")
    apis = ("command-api", "query-api")
    before = {c.id for s in apis for c in ctx.stack.containers(s)}
    ips_before = {c.ip for s in apis for c in ctx.stack.containers(s)}
    ctx.stack.up(*apis, scale={s: SCALED[s] for s in apis}, recreate=True, no_deps=True)
    after = [c for s in apis for c in ctx.stack.containers(s)]
    expect(not before & {c.id for c in after}, "the APIs were not recreated")
    gateway_after = ctx.stack.containers("gateway")
    expect(
        [(c.id, c.started_at) for c in gateway_after]
        == [(c.id, c.started_at) for c in gateway_before],
        "the gateway was restarted or recreated: it must follow the APIs by itself",
    )
    since = now_iso()
    traffic_to_both_sides(ctx)
    check_balanced(ctx, since)
    moved = "new" if {c.ip for c in after} != ips_before else "the same"
    ctx.notes.append(f"recreated APIs got {moved} addresses; the gateway followed them")
    step_addresses_move(ctx)


def _running_ips(ctx: Context, service: str) -> set[str]:
    return {c.ip for c in ctx.stack.containers(service) if c.state == "running"}


def step_addresses_move(ctx: Context) -> None:
    """Docker hands a recreated container its old address again, which proves nothing: so the
    query API is removed, its old addresses go to extra command API replicas, and new query
    replicas come up elsewhere. A gateway holding on to old addresses would now send reads to
    the command side."""
    old_query = _running_ips(ctx, "query-api")
    ctx.stack.run("rm", "--stop", "--force", "query-api")
    with https_client(ctx.base_url, ctx.ca_file) as http:
        gone = http.get("/ping")
    expect(gone.status_code == 503, f"reads with no query API: {gone.status_code}, wanted 503")
    expect(
        "detail" in gone.json() and "retry-after" in gone.headers, "503 without JSON/Retry-After"
    )
    ctx.stack.up("command-api", scale={"command-api": 4}, no_deps=True)
    ctx.stack.up("query-api", scale={"query-api": 2}, no_deps=True)
    new_query, commands = _running_ips(ctx, "query-api"), _running_ips(ctx, "command-api")
    expect(not new_query & old_query, f"query API kept addresses {sorted(new_query & old_query)}")
    since = now_iso()
    traffic_to_both_sides(ctx)
    check_balanced(ctx, since)
    reused = len(commands & old_query)
    ctx.notes.append(
        f"query API moved {sorted(old_query)} -> {sorted(new_query)}; {reused} old address(es)"
        " now command replicas; the gateway followed"
    )
    ctx.stack.up("command-api", scale={"command-api": 2}, no_deps=True)


def step_scaled_purchase(ctx: Context) -> None:
    step_purchase(ctx)


def _lease_holder(ctx: Context) -> Container:
    """The worker container holding the projections' leases (its hostname is its short id)."""
    table = ctx.stack.exec("worker", "shop", "projections", "status", "--json")
    reports = json.loads(table)["projections"]
    holders = {str(r["lease_holder"] or "").split(":")[0] for r in reports}
    workers = ctx.stack.containers("worker")
    for container in workers:
        if any(holder and container.id.startswith(holder) for holder in holders):
            return container
    raise CheckFailed(f"no worker holds a lease: {table}")


def step_worker_killed_under_load(ctx: Context) -> None:
    shoppers, rounds, stock = 3, 6, 50
    with ctx.shop().http as http:
        setup = Shop(http)
        admin = ctx.admin_headers(setup)
        products = [setup.new_product(admin, price=300, stock=stock) for _ in range(2)]
        buyers = [setup.new_shopper() for _ in range(shoppers)]
    placed: list[tuple[dict[str, str], str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    enough_for_the_kill = threading.Event()
    positions: list[int] = []

    def buy(who: dict[str, str]) -> None:
        with ctx.shop().http as client:
            shop = Shop(client)
            try:
                for round_ in range(rounds):
                    product = products[round_ % len(products)]
                    order_id = shop.place_and_pay(who, product)
                    with lock:
                        placed.append((who, order_id, product))
                        if len(placed) >= shoppers * rounds // 3:
                            enough_for_the_kill.set()
            except BaseException as error:  # reported below, with the others
                errors.append(error)
                enough_for_the_kill.set()
            positions.append(shop.position)

    threads = [threading.Thread(target=buy, args=(who,)) for who in buyers]
    for thread in threads:
        thread.start()
    expect(enough_for_the_kill.wait(300), "the load did not get going")
    victim = _lease_holder(ctx)
    ctx.stack.kill_hard(victim)
    for thread in threads:
        thread.join(600)
    expect(not errors, f"commands failed during the load: {errors[:3]}")
    expect(len(placed) == shoppers * rounds, f"{len(placed)} orders placed")

    # Convergence: every order paid, stock down by what was sold, every projection caught up.
    with ctx.shop().http as http:
        check = Shop(http, position=max(positions))
        for who, order_id, _ in placed:
            check.wait_until_paid(who, order_id, within=180)
        sold = Counter(product for _, _, product in placed)
        for product in products:
            seen = check.read(f"/products/{product}")["stock"]
            expect(seen == stock - sold[product], f"stock of {product}: {seen}")
    restarted = next(c for c in ctx.stack.containers("worker") if c.id == victim.id)
    expect(restarted.restarts > victim.restarts, "the killed worker was not restarted")
    ctx.stack.up(scale=SCALED)  # both workers healthy again (no recreation)
    deadline = time.monotonic() + 60
    while True:
        table = ctx.stack.exec("worker", "shop", "projections", "status", "--json")
        lags = [int(r["lag"]) for r in json.loads(table)["projections"]]
        if (lags and not any(lags)) or time.monotonic() > deadline:
            break
        time.sleep(1)  # the poll interval of `projections status`, a separate process each time
    expect(bool(lags) and not any(lags), f"projections still behind:\n{table}")
    ctx.notes.append(
        f"{len(placed)} orders under load; killed worker {victim.id[:12]} (lease holder);"
        " views converged"
    )


def step_rate_limits(ctx: Context) -> None:
    """A burst of logins from one client gets 429 with a JSON body; Stripe's webhook path is
    never throttled per client."""
    from concurrent.futures import ThreadPoolExecutor

    with https_client(ctx.base_url, ctx.ca_file) as http:

        def attempt(_: int) -> int:
            body = {"username": "nobody", "password": "wrong password"}
            return http.post("/login", json=body).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = Counter(pool.map(attempt, range(40)))
        expect(codes[429] > 0, f"40 quick logins were never limited: {dict(codes)}")
        expect(set(codes) <= {401, 429}, f"login burst answers: {dict(codes)}")
        limited = http.post("/login", json={"username": "nobody", "password": "x" * 9})
        if limited.status_code == 429:
            expect("detail" in limited.json(), "429 without a JSON detail")
    ctx.notes.append(f"login burst: {dict(codes)}")


STEPS: list[tuple[str, Callable[[Context], None]]] = [
    ("images build", step_build),
    ("stack starts, every service healthy", step_up),
    ("ENV=production refuses the emulator and a placeholder secret", step_production_settings),
    ("the managed-stores override (docs/deploy.md) resolves", step_managed_stores_override),
    ("gateway: HTTPS redirect, headers, routing, assets, limits", step_gateway),
    ("Postman collection (newman) over HTTPS", step_postman),
    ("a purchase reaches paid by the emulator's webhook", step_purchase),
    ("2 replicas of each API and worker; the gateway balances them", step_scale),
    ("recreated APIs are found without restarting the gateway", step_recreate),
    ("a purchase on the scaled stack", step_scaled_purchase),
    ("a worker killed mid-load; the views converge", step_worker_killed_under_load),
    ("per-client rate limit on logins", step_rate_limits),
]
