"""`docker compose` for one test project: build, up, scale, inspect, kill, logs, down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class ComposeError(RuntimeError):
    """A compose command failed; the message carries its output."""


# Services that run once and exit (compose.yaml: the others wait for them to succeed).
ONE_SHOT = frozenset({"migrate"})


@dataclass(frozen=True)
class Container:
    id: str
    service: str
    state: str
    health: str
    ip: str
    pid: int
    started_at: str
    restarts: int
    exit_code: int = 0


@dataclass
class Stack:
    root: Path
    project: str
    env_file: Path
    files: Sequence[str] = ("compose.yaml", "compose.ci.yaml")
    profiles: Sequence[str] = ("dev",)

    def _base(self) -> list[str]:
        args = ["docker", "compose", "--project-name", self.project]
        args += ["--env-file", str(self.env_file)]
        for name in self.files:
            args += ["--file", str(self.root / name)]
        for profile in self.profiles:
            args += ["--profile", profile]
        return args

    def run(
        self, *args: str, timeout: float = 600, check: bool = True, quiet: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """One compose command; its output is kept (and shown when it fails)."""
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        result = subprocess.run(
            [*self._base(), *args],
            cwd=self.root,
            env=env,
            capture_output=quiet,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            output = (result.stdout or "") + (result.stderr or "")
            raise ComposeError(f"docker compose {' '.join(args)} failed:\n{output[-4000:]}")
        return result

    # -- lifecycle ---------------------------------------------------------------------------

    def build(self) -> None:
        self.run("build", timeout=1500, quiet=False)

    def up(
        self,
        *services: str,
        scale: dict[str, int] | None = None,
        recreate: bool = False,
        no_deps: bool = False,
        wait_timeout: int = 300,
    ) -> None:
        """`up -d --wait`: returns once every started service is running and healthy."""
        args = ["up", "--detach", "--wait", "--wait-timeout", str(wait_timeout)]
        if recreate:
            args.append("--force-recreate")
        if no_deps:
            args.append("--no-deps")
        for service, count in (scale or {}).items():
            args += ["--scale", f"{service}={count}"]
        self.run(*args, *services, timeout=wait_timeout + 120)

    def down(self) -> None:
        self.run("down", "--volumes", "--remove-orphans", "--timeout", "20", check=False)

    # -- looking inside ------------------------------------------------------------------------

    def containers(self, service: str | None = None) -> list[Container]:
        ids = self.run("ps", "--all", "--quiet", *([service] if service else [])).stdout.split()
        if not ids:
            return []
        raw = subprocess.run(
            ["docker", "inspect", *ids], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        found = []
        for item in json.loads(raw):
            state = item["State"]
            networks = item["NetworkSettings"]["Networks"] or {}
            found.append(
                Container(
                    id=item["Id"],
                    service=item["Config"]["Labels"].get("com.docker.compose.service", "?"),
                    state=state["Status"],
                    health=(state.get("Health") or {}).get("Status", "none"),
                    ip=next((n["IPAddress"] for n in networks.values() if n["IPAddress"]), ""),
                    pid=int(state.get("Pid") or 0),
                    started_at=state["StartedAt"],
                    restarts=int(item.get("RestartCount") or 0),
                    exit_code=int(state.get("ExitCode") or 0),
                )
            )
        return found

    def exec(self, service: str, *command: str, index: int = 1, timeout: float = 120) -> str:
        result = self.run("exec", "-T", "--index", str(index), service, *command, timeout=timeout)
        return result.stdout

    def logs(self, *services: str, since: str | None = None, tail: int | None = None) -> str:
        args = ["logs", "--no-color", "--no-log-prefix"]
        if since:
            args += ["--since", since]
        if tail:
            args += ["--tail", str(tail)]
        return self.run(*args, *services, check=False).stdout

    def kill_hard(self, container: Container) -> None:
        """SIGKILL the container's main process from the host: a crash, not a `docker stop`,
        so the restart policy applies as it would to a real crash."""
        if container.pid <= 0:
            raise ComposeError(f"{container.id[:12]} is not running")
        os.kill(container.pid, signal.SIGKILL)

    def failing_services(self) -> list[str]:
        """Services with a container that is not running, or running but not healthy; a
        one-shot (the migrations) fails only by exiting with an error."""
        bad = {
            c.service
            for c in self.containers()
            if (c.exit_code != 0 if c.service in ONE_SHOT else c.state != "running")
            or (c.service not in ONE_SHOT and c.health not in ("healthy", "none"))
        }
        return sorted(bad)
