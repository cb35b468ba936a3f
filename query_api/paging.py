"""Pagination parameters shared by every list: ?limit=&offset= with sensible maximums."""

from typing import Annotated

from fastapi import Query

MAX_PAGE = 100
# Deeper than any real browsing; also keeps the value inside every database's integer range.
MAX_OFFSET = 1_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
