"""The bare reads: an async FastAPI app reading the project's own views, with nothing else.

GET /products/{id} reads the same Redis hash as the shop's product page; GET /products runs
the same two SQL reads as the shop's catalog page (the page of rows and the total);
GET /orders/{id}/history reads the same history rows (no token, no ownership check).
redis.asyncio and aiomysql, answers built as plain JSON. Configured by BENCH_REDIS_URL,
BENCH_PRODUCT_KEY (with `{id}`), BENCH_MYSQL_DB, BENCH_CATALOG_TABLE, BENCH_HISTORY_TABLE.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import aiomysql
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

PRODUCT_COLUMNS = "id, name, description, price, currency, stock, version, created_at, updated_at"


def _product(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "id": str(UUID(row["id"])),
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def create_app() -> FastAPI:
    key = os.environ["BENCH_PRODUCT_KEY"]
    catalog = os.environ["BENCH_CATALOG_TABLE"]
    history = os.environ["BENCH_HISTORY_TABLE"]
    count_sql = f"SELECT COUNT(*) AS total FROM {catalog} WHERE delisted = 0"
    page_sql = (
        f"SELECT {PRODUCT_COLUMNS} FROM {catalog} WHERE delisted = 0"
        " ORDER BY listed_position DESC LIMIT %s OFFSET %s"
    )
    history_sql = (
        f"SELECT version, type, at, actor, summary, data FROM {history}"
        " WHERE order_id = %s ORDER BY version"
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = Redis.from_url(os.environ["BENCH_REDIS_URL"], decode_responses=True)
        app.state.mysql = await aiomysql.create_pool(
            host="127.0.0.1",
            port=3306,
            user="root",
            password="",
            db=os.environ["BENCH_MYSQL_DB"],
            minsize=1,
            maxsize=20,
            autocommit=True,
            charset="utf8mb4",
        )
        try:
            yield
        finally:
            app.state.mysql.close()
            await app.state.mysql.wait_closed()
            await app.state.redis.aclose()

    app = FastAPI(title="bare reads", lifespan=lifespan)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    @app.get("/products/{product_id}")
    async def product(product_id: UUID, request: Request) -> JSONResponse:
        fields = await request.app.state.redis.hgetall(key.format(id=product_id))
        if "id" not in fields:
            raise HTTPException(404, "product not found")
        for name in ("price", "stock", "version"):
            fields[name] = int(fields[name])
        return JSONResponse(fields)

    @app.get("/products")
    async def products(request: Request, limit: int = 20, offset: int = 0) -> JSONResponse:
        async with (
            request.app.state.mysql.acquire() as conn,
            conn.cursor(aiomysql.DictCursor) as cursor,
        ):
            await cursor.execute(count_sql)
            total = (await cursor.fetchone())["total"]
            await cursor.execute(page_sql, (limit, offset))
            rows = await cursor.fetchall()
        items = [_product(row) for row in rows]
        return JSONResponse({"items": items, "total": total, "limit": limit, "offset": offset})

    @app.get("/orders/{order_id}/history")
    async def order_history(order_id: UUID, request: Request) -> JSONResponse:
        async with (
            request.app.state.mysql.acquire() as conn,
            conn.cursor(aiomysql.DictCursor) as cursor,
        ):
            # SQLAlchemy's Uuid keeps a UUID as 32 hex characters on MariaDB.
            await cursor.execute(history_sql, (order_id.hex,))
            rows = await cursor.fetchall()
        items = [
            {**row, "at": row["at"].isoformat(), "data": json.loads(row["data"])} for row in rows
        ]
        return JSONResponse({"order_id": str(order_id), "items": items})

    return app
