"""`python -m bench.serve APP --port N`: one server under test, in its own process, with the
uvicorn options of `shop serve` (one process, uvloop and httptools, no access log, proxy
headers): the baselines get the same, so only the apps differ.

APP is `project` (the shop's gateway with the instant payment stand-in), `bare-checkout` or
`bare-reads` (bench/baselines/).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

APPS = {
    "project": "bench.project:instant_payments_gateway",
    "bare-checkout": "bench.baselines.checkout_app:create_app",
    "bare-reads": "bench.baselines.reads_app:create_app",
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        APPS[args.app],
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        proxy_headers=True,
        loop="uvloop",
        http="httptools",
        access_log=False,
    )


if __name__ == "__main__":
    main()
