"""Read-your-writes: a query that names a position waits (bounded) for its view to pass it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException

from infra.services import Services
from web.app import ServicesDep
from web.headers import requested_position

Position = Annotated[int | None, Depends(requested_position)]


def wait_for(services: Services, view: str, position: int | None, in_redis: bool = False) -> None:
    """Return once `view` has reached `position`, or answer 503 with Retry-After."""
    if position is None:
        return
    timeout = services.settings.read_your_writes_timeout
    if not services.positions.wait(view, position, timeout, in_redis=in_redis):
        raise HTTPException(
            503,
            f"the {view} view has not caught up with position {position} yet",
            headers={"Retry-After": "1"},
        )


def caught_up(view: str) -> Callable[..., None]:
    """A route dependency: wait for the SQL view `view` to reach the client's position."""

    def wait(services: ServicesDep, position: Position) -> None:
        wait_for(services, view, position)

    return wait
