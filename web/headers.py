"""Headers the shop speaks: event positions, ETags and If-Match, Idempotency-Key."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, HTTPException, Response

POSITION_HEADER = "X-Event-Position"

# A client's key for retrying a command safely: the same key names the same result.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=255)
]


def set_position(response: Response, position: int) -> None:
    response.headers[POSITION_HEADER] = str(position)


async def requested_position(
    x_event_position: Annotated[str | None, Header(alias=POSITION_HEADER)] = None,
) -> int | None:
    if x_event_position is None or x_event_position == "":
        return None
    # isascii: str.isdigit() also accepts "²"; the length keeps int() and the databases happy.
    if not (
        x_event_position.isascii() and x_event_position.isdigit() and len(x_event_position) <= 18
    ):
        raise HTTPException(400, f"{POSITION_HEADER} must be a non-negative integer")
    return int(x_event_position)


_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')


def expected_version(
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> int | None:
    """The version named by If-Match ("3", W/"3" or 3); None for no header or "*"."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise HTTPException(400, 'If-Match must be an ETag such as "3"')
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'
