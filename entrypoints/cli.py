"""The `shop` command: accounts administration, the worker, the servers and `shop run`."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from infra.settings import load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from infra.services import Services
    from workers.overview import ProjectionReport
    from workers.replay import ReplayResult

app = typer.Typer(help="Order platform operations.", no_args_is_help=True)
users = typer.Typer(help="Accounts and roles.", no_args_is_help=True)
app.add_typer(users, name="users")


# Account commands never sign or check tokens, so they run without JWT_SECRET set.
_NO_TOKENS_SIGNED = "account-commands-sign-no-tokens-" + "0" * 16
# A one-off command runs one statement at a time: it needs no pool of eight.
_ONE_OFF_POOLS: dict[str, object] = {"event_store_pool_size": 2, "read_store_pool_size": 2}


def _name_connections(kind: str) -> None:
    """Label this process's PostgreSQL connections (pg_stat_activity.application_name), so
    an operator can see which process holds which; libpq reads PGAPPNAME (an explicit one wins)."""
    os.environ.setdefault("PGAPPNAME", f"shop-{kind}")


def _services() -> Services:
    from infra.services import Services

    _name_connections("cli")
    secret = os.environ.get("JWT_SECRET") or _NO_TOKENS_SIGNED
    services = Services(load_settings(jwt_secret=secret, **_ONE_OFF_POOLS))
    services.setup()
    return services


@users.command("create-admin")
def create_admin(
    username: str = typer.Option(..., help="Login name"),
    email: str = typer.Option(..., help="E-mail address"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an account with the admin role."""
    from command_api.schemas import RegisterIn
    from infra.accounts import AccountTaken
    from infra.security import password_problem

    try:
        body = RegisterIn(username=username, email=email, password=password)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    problem = password_problem(password)
    if problem:
        raise typer.BadParameter(problem)
    services = _services()
    try:
        user, _ = services.accounts.register(body.username, str(body.email), password, role="admin")
    except AccountTaken as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    typer.echo(f"admin {user.username} created ({user.id})")


class Role(StrEnum):
    shopper = "shopper"
    admin = "admin"
    support = "support"


@users.command("set-role")
def set_role(
    user: str = typer.Argument(..., help="Username or email"), role: Role = typer.Argument(...)
) -> None:
    """Change an account's role (every API process applies it within a second)."""
    from infra.accounts import UnknownAccount

    services = _services()
    try:
        services.accounts.set_role(user, role.value)
    except UnknownAccount as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    typer.echo(f"{user} is now {role.value}")


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@app.command()
def worker(
    only: list[str] = typer.Option(None, help="Run only these projections"),
    health_port: int | None = typer.Option(
        None, help="Serve GET /healthz and GET /metrics (Prometheus) on this port"
    ),
    health_host: str = typer.Option("127.0.0.1", help="Bind address of the health endpoint"),
    lease_ttl: float = typer.Option(
        10.0, min=1.0, help="Seconds a crashed worker's leases block a successor"
    ),
) -> None:
    """Run the projection workers until interrupted."""
    from workers.process import run_worker

    health = (health_host, health_port) if health_port else None
    _name_connections("worker")
    run_worker(load_settings(), _stop_on_signals(), only or None, health, lease_ttl)


class Side(StrEnum):
    command = "command"
    query = "query"
    gateway = "gateway"


@app.command()
def serve(
    side: Side = typer.Argument(Side.gateway),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(int(os.environ.get("PORT", "8000"))),
    metrics_port: int | None = typer.Option(
        None, help="Serve GET /metrics (Prometheus) on this port, on loopback"
    ),
) -> None:
    """Serve one API (or both behind the method-routing gateway)."""
    import uvicorn

    settings = load_settings()  # fail fast, with one line, before uvicorn starts
    _name_connections(side.value)
    if metrics_port is not None:
        from web.metrics import serve_metrics

        serve_metrics("127.0.0.1", metrics_port)
    target = {
        Side.command: "command_api.app:create_app",
        Side.query: "query_api.app:create_app",
        Side.gateway: "entrypoints.gateway:create_gateway",
    }[side]
    # uvloop and httptools come with uvicorn[standard]; the access log costs CPU on every
    # request, so it is off unless ACCESS_LOG turns it on.
    uvicorn.run(
        target,
        factory=True,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        # Open order streams (server-sent events) never end by themselves: stop them after
        # this many seconds instead of waiting for every browser tab to close.
        timeout_graceful_shutdown=5,
    )


@app.command("stripe-emulator")
def stripe_emulator(
    port: int = typer.Option(8420),
    host: str = typer.Option("127.0.0.1", help="bind address; 0.0.0.0 only inside a container"),
    webhook_url: str | None = typer.Option(
        None, help="deliver webhooks here from the start, signed with $STRIPE_WEBHOOK_SECRET"
    ),
) -> None:
    """Run localstripe (development and tests only; production talks to Stripe)."""
    from entrypoints.stripe_emulator import main as emulator_main

    args = ["--port", str(port), "--host", host]
    if webhook_url:
        args += ["--webhook-url", webhook_url]
    raise typer.Exit(emulator_main(args))


@app.command()
def migrate() -> None:
    """Upgrade the accounts table and the read store's views to this code's schema.

    Run it once before the APIs and workers start (compose's `migrate` service; `shop run`
    does it itself); they wait, answering 503, until it has. Safe to run again."""
    from infra.services import migrate_stores

    _name_connections("migrate")
    secret = os.environ.get("JWT_SECRET") or _NO_TOKENS_SIGNED
    settings = load_settings(jwt_secret=secret, **_ONE_OFF_POOLS)
    try:
        done = migrate_stores(settings)
    except Exception as error:
        typer.echo(f"migrations failed: {_one_line(error)}", err=True)
        raise typer.Exit(1) from None
    for step in done:
        typer.echo(str(step))


def _one_line(error: BaseException) -> str:
    text = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {text}"[:500]


@app.command()
def run() -> None:
    """Run the whole shop locally: gateway, workers (and the Stripe emulator)."""
    from entrypoints.supervisor import run_local_shop

    run_local_shop()


# -- the event log: export for analysts --------------------------------------------------------

events = typer.Typer(help="The event log: export it for analysis.", no_args_is_help=True)
app.add_typer(events, name="events")


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


@events.command("export")
def export_events(
    fmt: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", help="jsonl or parquet"),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (default: stdout; Parquet needs one)"
    ),
    types: str | None = typer.Option(
        None, help="Comma-separated event types: OrderPlaced, Order.OrderPlaced or the topic"
    ),
    since: str | None = typer.Option(None, help="From this position or time (ISO 8601), inclusive"),
    until: str | None = typer.Option(None, help="Up to this position or time, inclusive"),
    aggregate: str | None = typer.Option(None, help="Only this aggregate's events (its id)"),
) -> None:
    """Stream the events, decoded, one JSON object per event (position, time, type, aggregate
    id and version, and its fields), with a progress bar on stderr. Events hold no personal
    data."""
    import sys

    from infra.event_export import ExportError, ExportFilter, export_events
    from infra.progress import ProgressPrinter

    try:
        wanted = ExportFilter.parse(types, since, until, aggregate)
        if fmt is ExportFormat.parquet and output is None:
            raise ExportError("Parquet goes to a file: give --output FILE")
    except ExportError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    services = _projection_services()
    try:
        recorder, mapper = services.shop.recorder, services.shop.mapper
        count = export_events(
            recorder, mapper, wanted, fmt.value, output or sys.stdout, ProgressPrinter(sys.stderr)
        )
    finally:
        services.close()
    where = f" to {output}" if output else ""
    typer.echo(f"exported {count} events{where}", err=True)


# -- projections: status, rebuild, replay for analysts ---------------------------------------

projections = typer.Typer(help="Projections: status, rebuild, replay.", no_args_is_help=True)
app.add_typer(projections, name="projections")


def _projection_services() -> Services:
    """Services without setup(): these commands create only what they write themselves."""
    from infra.services import Services

    _name_connections("cli")
    secret = os.environ.get("JWT_SECRET") or _NO_TOKENS_SIGNED
    return Services(load_settings(jwt_secret=secret, **_ONE_OFF_POOLS))


@projections.command("status")
def projections_status(
    as_json: bool = typer.Option(False, "--json", help="One JSON document, for scripts"),
) -> None:
    """Each projection: state, position against the head of the log, lag, events/s, lease
    holder, the event it is stopped on and the last error, and the skips decided for it."""
    import json

    from workers.overview import projection_reports

    services = _projection_services()
    try:
        reports = projection_reports(services)
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps({"projections": [r.as_dict() for r in reports]}, indent=2))
        return
    _print_reports(reports)


# `list` was the first name of `status`; kept for scripts and fingers.
projections.command("list", hidden=True)(projections_status)


def _print_reports(reports: list[ProjectionReport]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Projections", title_justify="left")
    for column in ("name", "kind", "state"):
        table.add_column(column.upper())
    for column in ("position", "head", "lag", "lag s", "events/s"):
        table.add_column(column.upper(), justify="right")
    table.add_column("LEASE")
    table.add_column("LAST ERROR", overflow="fold")
    colours = {"running": "green", "stopped on error": "bold red", "not running": "yellow"}
    for r in reports:
        state = f"[{colours.get(r.state, 'cyan')}]{r.state}[/]"
        if r.rebuild_version is not None:
            state += f" (v{r.rebuild_version} at {r.rebuild_position or 0})"
        name = f"{r.name} (analysis)" if r.own else r.name
        error = r.last_error or ""
        if r.failed_position is not None:
            error = (
                f"event {r.failed_position} ({r.failed_type}, aggregate {r.failed_aggregate}):"
                f" {error}"
            )
        table.add_row(
            name,
            r.kind,
            state,
            str(r.position),
            str(r.head),
            str(r.lag),
            f"{r.lag_seconds:.1f}",
            f"{r.events_per_second:,.1f}",
            r.lease_holder or "-",
            error,
        )
    console = Console(width=200 if not Console().is_terminal else None)
    console.print(table)
    skips = [skip for r in reports for skip in r.skips]
    if skips:
        decided = Table(title="Skipped by decision", title_justify="left")
        for column in ("projection", "position", "event", "aggregate", "by", "at", "reason"):
            decided.add_column(column.upper())
        for skip in skips:
            data = skip.as_dict()
            decided.add_row(
                skip.name,
                str(skip.position),
                skip.event_type,
                skip.aggregate_id,
                skip.decided_by,
                str(data["decided_at"]),
                skip.reason,
            )
        console.print(decided)


@projections.command("skip")
def skip_event(
    name: str = typer.Argument(..., help="The projection (see `shop projections status`)"),
    position: int = typer.Option(..., min=1, help="The position of the event to skip"),
    reason: str = typer.Option(..., help="Why: recorded with the decision"),
    by: str = typer.Option(None, help="Who decides (default: user@host)"),
) -> None:
    """Let a projection pass one event without applying it: an operator's decision, recorded
    (who, when, why) and listed by `shop projections status`. A stopped projection resumes."""
    import getpass
    import socket

    from workers.overview import record_skip
    from workers.replay import ReplayError

    who = by or f"{getpass.getuser()}@{socket.gethostname()}"
    services = _projection_services()
    try:
        skip = record_skip(services, name, position, reason, who)
    except ReplayError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    typer.echo(
        f"recorded: {skip.name} skips event {skip.position} ({skip.event_type}, aggregate"
        f" {skip.aggregate_id}), decided by {skip.decided_by}: {skip.reason}"
    )


def _replay(run: Callable[..., ReplayResult], done: str) -> None:
    """Run a replay with a progress line on stderr, then one summary line (exit 1 on refusal).

    `done` names the outcome, with {name} for the projection."""
    import sys

    from infra.progress import ProgressPrinter
    from workers.replay import ReplayError

    services = _projection_services()
    try:
        result = run(services, ProgressPrinter(sys.stderr))
    except ReplayError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        services.close()
    typer.echo(
        f"{done.format(name=result.name)}: {result.events} events in {result.seconds:.1f}s"
        f" ({result.rate:,.0f} events/s), position {result.position}"
    )


@projections.command("rebuild")
def rebuild_projection(
    name: str = typer.Argument(..., help="The projection (see `shop projections status`)"),
    batch_size: int = typer.Option(1000, min=1, max=10_000, help="Events per transaction"),
    wait: float = typer.Option(
        0.0, min=0, help="Seconds to wait for a worker to release the lease (0: fail at once)"
    ),
) -> None:
    """Empty a live view and replay the whole event history into it, holding its lease."""
    from workers.bluegreen import rebuild

    _replay(
        lambda services, progress: rebuild(services, name, batch_size, wait, progress),
        "rebuilt {name}",
    )


@projections.command("replay")
def replay_projection(
    target: str = typer.Argument(
        ..., help="A projection of the shop (its name), or your own class: my_module:MyProjection"
    ),
    into: str = typer.Option(
        ...,
        "--into",
        help="The store to build it in, e.g. sqlite:///var/analysis.db (not the live one)",
    ),
    batch_size: int = typer.Option(1000, min=1, max=10_000, help="Events per transaction"),
    until: int | None = typer.Option(
        None, min=0, help="Stop at this position: the view as it stood then"
    ),
    follow: bool = typer.Option(False, "--follow", help="Then keep following the log (Ctrl-C)"),
    metrics_port: int | None = typer.Option(
        None, help="With --follow: serve GET /healthz and GET /metrics on this port"
    ),
) -> None:
    """Build a projection from the whole history into a store of its own, with a progress bar;
    resumable (Ctrl-C, then the same command carries on from the stored position), and with
    --follow it then keeps the view current as the worker does the shop's."""
    import sys

    from infra.progress import Progress, ProgressPrinter
    from workers.analysis import follow as follow_log
    from workers.analysis import replay_into
    from workers.replay import ReplayError

    if follow and until is not None:
        typer.echo("error: --until and --follow exclude each other", err=True)
        raise typer.Exit(2)
    printer = ProgressPrinter(sys.stderr)
    last: list[Progress] = []

    def progress(report: Progress) -> None:
        last[:] = [report]
        printer(report)

    services = _projection_services()
    try:
        result = replay_into(services, target, into, batch_size, progress, until)
    except ReplayError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        where = f" at position {last[0].position}" if last else ""
        typer.echo(
            f"\ninterrupted{where}: what was replayed is kept; run the same command again to"
            " resume",
            err=True,
        )
        raise typer.Exit(130) from None
    finally:
        services.close()
    typer.echo(
        f"replayed {result.name} into {into}: {result.events} events in {result.seconds:.1f}s"
        f" ({result.rate:,.0f} events/s), position {result.position}"
    )
    if not follow:
        return
    from infra.services import Services

    typer.echo("following the log; Ctrl-C stops", err=True)
    secret = os.environ.get("JWT_SECRET") or _NO_TOKENS_SIGNED
    settings = load_settings(jwt_secret=secret)
    live = Services(settings, pool_size=settings.worker_pool_size)
    try:
        health = ("127.0.0.1", metrics_port) if metrics_port else None
        follow_log(live, target, into, _stop_on_signals(), health)
    except ReplayError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        live.close()


@projections.command("replay-into", hidden=True)
def replay_projection_into(
    name: str = typer.Argument(..., help="An SQL projection (see `shop projections status`)"),
    read_store_url: str = typer.Option(..., help="A store of its own, never the live one"),
    batch_size: int = typer.Option(1000, min=1, max=10_000, help="Events per transaction"),
    until: int | None = typer.Option(
        None, min=0, help="Stop at this position: the view as it stood then"
    ),
) -> None:
    """The first name of `replay NAME --into URL`, kept for scripts."""
    replay_projection(name, read_store_url, batch_size, until, False, None)


# -- payments: reconciliation with Stripe ------------------------------------------------------

payments = typer.Typer(help="Payments: reconcile orders with Stripe.", no_args_is_help=True)
app.add_typer(payments, name="payments")


def _since(value: str | None) -> datetime | None:
    """ISO 8601 (UTC when no zone is given) or a duration back from now: 90m, 36h, 7d."""
    if not value:
        return None
    units = {"m": "minutes", "h": "hours", "d": "days"}
    if value[-1:] in units and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("an ISO 8601 time or a duration such as 90m, 36h, 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@payments.command("reconcile")
def reconcile_payments(
    since: str | None = typer.Option(
        None, help="Only orders changed since (ISO 8601, or 90m / 36h / 7d); default: all open"
    ),
) -> None:
    """Compare every open order with its PaymentIntent and refunds at Stripe, recover refunds
    left without an answer, and append what the orders miss (marked `reconciliation`)."""
    from workers.payments import reconcile

    moment = _since(since)
    services = _services()
    try:
        report = reconcile(services, moment)
    finally:
        services.close()
    for result in report.changed:
        found = ", ".join(result.recorded) or "nothing new"
        refunds = ", ".join(f"{r.refund_id} {r.outcome}" for r in result.refunds)
        typer.echo(
            f"order {result.order_id}: {found}" + (f"; refunds: {refunds}" if refunds else "")
        )
    for order_id, error in report.errors.items():
        typer.echo(f"order {order_id}: not reconciled: {error}", err=True)
    typer.echo(
        f"checked {report.checked} open order(s): {len(report.changed)} changed,"
        f" {len(report.errors)} failed",
        err=True,
    )
    if report.errors:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
