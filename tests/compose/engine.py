"""A working container engine with the images the stack needs.

A user's machine pulls the official images. Where no image registry is reachable (this
project's CI), ../shared/containers/stand-ins.sh starts Docker and builds local stand-ins
tagged with the official names; it runs only when an image is missing and cannot be pulled.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import yaml

PULL_TIMEOUT = 120
STANDINS_TIMEOUT = 900


class EngineError(RuntimeError):
    """No usable container engine or images; the message says what to do."""


def docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return probe.returncode == 0


def base_images(root: Path) -> list[str]:
    """Every image the build starts FROM and every `image:` compose runs without building."""
    images: list[str] = []
    stages: set[str] = set()
    for line in (root / "Dockerfile").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line.strip(), re.IGNORECASE)
        if found:
            if found[1] not in stages:
                images.append(found[1])
            if found[2]:
                stages.add(found[2])
    compose = yaml.safe_load((root / "compose.yaml").read_text(encoding="utf-8"))
    for service in compose["services"].values():
        if "build" not in service and "image" in service:
            images.append(str(service["image"]))
    return list(dict.fromkeys(images))


def _present(image: str) -> bool:
    return (
        subprocess.run(
            ["docker", "image", "inspect", image], capture_output=True, timeout=60, check=False
        ).returncode
        == 0
    )


def _pull(image: str) -> bool:
    try:
        result = subprocess.run(
            ["docker", "pull", "--quiet", image],
            capture_output=True,
            timeout=PULL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _standins(root: Path) -> Path | None:
    """SHOP_STANDINS, or ../shared/containers/stand-ins.sh beside this checkout or any folder
    above it (a checkout may sit deeper than the team's workspace)."""
    configured = os.environ.get("SHOP_STANDINS")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    for folder in root.resolve().parents:
        path = folder / "shared/containers/stand-ins.sh"
        if path.is_file():
            return path
    return None


def _run_standins(script: Path, images: list[str]) -> None:
    if os.geteuid() != 0:
        raise EngineError(f"{script} needs root (it installs and starts Docker)")
    print(f"compose-test: Docker and stand-in images from {script}", flush=True)
    result = subprocess.run(
        ["bash", str(script), *images], timeout=STANDINS_TIMEOUT, check=False, text=True
    )
    if result.returncode != 0:
        raise EngineError(f"{script} failed with exit code {result.returncode}")


def ensure_engine(root: Path) -> bool:
    """Make Docker and the base images available; True when this call started dockerd."""
    images = base_images(root)
    script = _standins(root)
    started = False
    if not docker_works():
        if script is None:
            raise EngineError("Docker is not running (docker info failed): start it and retry")
        _run_standins(script, images)
        started = True
    missing = [image for image in images if not _present(image)]
    while missing and _pull(missing[0]):  # a registry that is unreachable fails at once
        missing.pop(0)
    if missing:
        if script is None:
            raise EngineError(f"cannot pull {', '.join(missing)} and no stand-ins script")
        _run_standins(script, missing)
    return started and Path("/run/standin-dockerd.pid").exists()


def stop_started_engine() -> None:
    """Stop the dockerd that ensure_engine started (by its recorded pid), and nothing else."""
    pid_file = Path("/run/standin-dockerd.pid")
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().strip())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
