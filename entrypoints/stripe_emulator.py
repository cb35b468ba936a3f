"""Development tooling: run the localstripe emulator as its own loopback-only process.

localstripe is GPL-3.0, so the shop never imports it: this module is the only one that does,
and only inside `main()`, in the separate process that `EmulatorProcess` starts. Its stock CLI
binds every interface and pickles its whole store to /tmp on every write; this launcher binds
127.0.0.1 and turns that persistence into no-ops, so runs neither leak nor share state.

    python -m entrypoints.stripe_emulator --port 8420
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from application.payments import NotEmulatedError
from infra.settings import Settings

HOST = "127.0.0.1"
READY_PATH = "/js.stripe.com/v3/"  # answers without touching the store
EMULATOR_WEBHOOK_NAME = "shop"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _register_at_start(url: str, secret: str) -> None:
    """Deliver every event to `url` from the start: a container restart needs no manual call."""
    from localstripe.webhooks import register_webhook as register_in_process

    register_in_process(EMULATOR_WEBHOOK_NAME, url, secret, None)


def _build_app() -> Any:
    """Import localstripe's aiohttp app with its disk persistence switched off."""
    from localstripe import resources, server  # the one place localstripe is imported

    store_class = resources.Store
    for name in ("dump_to_disk", "try_load_from_disk"):
        if not callable(getattr(store_class, name, None)):
            # A localstripe that persists some other way must not write to /tmp unnoticed.
            raise RuntimeError(f"localstripe has no Store.{name}: check the launcher")
        setattr(store_class, name, lambda self: None)
    _retry_after_a_decline(resources.PaymentIntent)
    return server.app


def _retry_after_a_decline(payment_intent: Any) -> None:
    """On Stripe, a PaymentIntent whose card was declined takes another payment method and
    can be confirmed again (the shopper's second try on the same order); localstripe keeps
    the failed charge as its latest and refuses the confirmation. Make it do as Stripe does."""
    original = payment_intent._update

    def update(self: Any, **data: Any) -> None:
        original(self, **data)
        charge = self.latest_charge
        if "payment_method" in data and charge is not None and charge.status == "failed":
            self.latest_charge = None  # requires_confirmation again, as on Stripe

    payment_intent._update = update


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the emulator (on 127.0.0.1 unless --host says otherwise, as in a container
    network) until SIGINT/SIGTERM; nothing is kept on disk."""
    parser = argparse.ArgumentParser(
        prog="python -m entrypoints.stripe_emulator", description=__doc__
    )
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--host", default=HOST, help="bind address (loopback by default)")
    parser.add_argument("--quiet", action="store_true", help="no access log or webhook log")
    parser.add_argument(
        "--webhook-url",
        help="deliver webhooks here from the start, signed with $STRIPE_WEBHOOK_SECRET",
    )
    args = parser.parse_args(argv)
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    if args.webhook_url and not secret:
        parser.error("--webhook-url needs STRIPE_WEBHOOK_SECRET in the environment")

    from aiohttp import web

    app = _build_app()
    if args.webhook_url:
        _register_at_start(args.webhook_url, secret)
    # localstripe logs webhook deliveries on this logger too, so keep it unless asked not to.
    access_log = logging.getLogger("aiohttp.access")
    if args.quiet:
        access_log.disabled = True
    else:
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler())
    print(
        f"stripe emulator listening on http://{args.host}:{args.port}", file=sys.stderr, flush=True
    )
    web.run_app(app, host=args.host, port=args.port, access_log=access_log, print=None)
    return 0


def free_port() -> int:
    """A loopback port that was free a moment ago (the caller retries if it is taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def register_webhook(
    api_base: str,
    name: str,
    url: str,
    secret: str,
    events: Sequence[str] | None = None,
    timeout: float = 5.0,
) -> None:
    """Tell a running emulator to deliver events to `url`, signed with `secret`.

    Registrations survive `DELETE /_config/data` but not a restart; registering the same name
    again replaces the earlier one.
    """
    body: dict[str, Any] = {"url": url, "secret": secret}
    if events is not None:
        body["events"] = list(events)
    response = httpx.post(
        f"{api_base.rstrip('/')}/_config/webhooks/{name}", json=body, timeout=timeout
    )
    response.raise_for_status()


class EmulatorProcess:
    """One emulator subprocess on a free loopback port, for tests and the `make run` supervisor."""

    def __init__(
        self,
        port: int | None = None,
        *,
        quiet: bool = True,
        log: IO[bytes] | int | None = subprocess.DEVNULL,
        python: str = sys.executable,
        startup_timeout: float = 15.0,
    ) -> None:
        self._requested_port = port
        self._quiet = quiet
        self._log = log
        self._python = python
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """The API base to give Settings.stripe_api_base (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("emulator not started")
        return f"http://{HOST}:{self.port}"

    def start(self) -> EmulatorProcess:
        """Start and wait until it answers; retries on another port if one was taken meanwhile."""
        if self._process is not None:
            raise RuntimeError("emulator already started")
        attempts = 1 if self._requested_port is not None else 3
        last_error = "not started"
        for _ in range(attempts):
            self.port = self._requested_port or free_port()
            command = [self._python, "-m", "entrypoints.stripe_emulator", "--port", str(self.port)]
            if self._quiet:
                command.append("--quiet")
            self._process = subprocess.Popen(
                command,
                cwd=_PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=self._log,
            )
            exit_code = self._wait_ready()
            if exit_code is None:
                return self
            last_error = f"exited with code {exit_code}"
            self._process = None
        raise RuntimeError(f"stripe emulator did not start: {last_error}")

    def _wait_ready(self) -> int | None:
        """None once the readiness probe answers; the exit code if the process died first."""
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                code = self._process.poll()
                if code is not None:
                    return code
                try:
                    if client.get(self.url + READY_PATH).status_code == 200:
                        return None
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"stripe emulator not ready after {self._startup_timeout} s")

    def flush(self) -> None:
        """Forget every object (webhook registrations stay)."""
        httpx.delete(self.url + "/_config/data", timeout=5.0).raise_for_status()

    def register_webhook(
        self, name: str, url: str, secret: str, events: Sequence[str] | None = None
    ) -> None:
        """Deliver this emulator's events to `url` (see `register_webhook`)."""
        register_webhook(self.url, name, url, secret, events)

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate (then kill) the process; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def pin_port(self) -> None:
        """Restart on the port it has now (the shop's settings name it)."""
        self._requested_port = self.port

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def register_emulator_webhook(
    settings: Settings,
    url: str,
    events: Sequence[str] | None = None,
    name: str = EMULATOR_WEBHOOK_NAME,
) -> None:
    """Point the emulator's webhooks at our endpoint (start-up of `make run`; emulator only).

    The emulator forgets registrations when it restarts, so call this after every start.
    """
    if not settings.stripe_is_emulated or settings.stripe_api_base is None:
        raise NotEmulatedError("webhooks are only registered by hand with the local emulator")
    register_webhook(settings.stripe_api_base, name, url, settings.stripe_webhook_secret, events)


if __name__ == "__main__":
    raise SystemExit(main())
