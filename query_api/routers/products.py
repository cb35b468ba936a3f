"""The catalog, read from the catalog view (SQL) or the product hot view (Redis)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import func, select

from projections.catalog import catalog_products
from projections.product_cache import ProductCache
from query_api.paging import Limit, Offset
from query_api.reads import CATALOG, PRODUCT_CACHE, Reads, ReadsDep
from query_api.schemas import Page
from query_api.waiting import Position
from web.headers import etag
from web.schemas import ProductOut

router = APIRouter(tags=["catalog"])


@router.get("/products", response_model=Page[ProductOut])
async def list_products(
    reads: ReadsDep, position: Position, limit: Limit = 20, offset: Offset = 0
) -> Page[ProductOut]:
    await reads.caught_up(position, CATALOG)
    live = catalog_products.c.delisted.is_(False)
    async with reads.views.connect() as conn:
        total = await conn.scalar(select(func.count()).select_from(catalog_products).where(live))
        rows = (
            await conn.execute(
                select(catalog_products)
                .where(live)
                .order_by(catalog_products.c.listed_position.desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
    items = [ProductOut.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@router.get("/products/{product_id}", response_model=ProductOut)
async def get_product(
    product_id: UUID, reads: ReadsDep, position: Position, response: Response
) -> ProductOut:
    """From the Redis hot view when there is one, else from the catalog view."""
    if reads.views.redis is not None:
        await reads.caught_up(position, PRODUCT_CACHE)
        product = await _from_redis(reads, product_id)
    else:
        await reads.caught_up(position, CATALOG)
        product = await _from_sql(reads, product_id)
    if product is None:
        raise HTTPException(404, "product not found")
    response.headers["ETag"] = etag(product.version)
    return product


async def _from_sql(reads: Reads, product_id: UUID) -> ProductOut | None:
    async with reads.views.connect() as conn:
        row = (
            await conn.execute(
                select(catalog_products).where(
                    catalog_products.c.id == product_id, catalog_products.c.delisted.is_(False)
                )
            )
        ).first()
    return ProductOut.model_validate(row, from_attributes=True) if row else None


async def _from_redis(reads: Reads, product_id: UUID) -> ProductOut | None:
    cache = ProductCache(reads.settings.redis_namespace)
    fields = await reads.views.hash(cache.key(product_id))
    if "id" not in fields:  # gone, or only a stock change that outlived a delisting
        return None
    return ProductOut(
        id=UUID(fields["id"]),
        name=fields["name"],
        description=fields["description"],
        price=int(fields["price"]),
        currency=fields["currency"],
        stock=int(fields["stock"]),
        version=int(fields["version"]),
        created_at=datetime.fromisoformat(fields["created_at"]),
        updated_at=datetime.fromisoformat(fields["updated_at"]),
    )
