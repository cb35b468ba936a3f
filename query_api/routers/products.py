"""The catalog, read from the catalog view (SQL) or the product hot view (Redis): search by
words with ranking, sort and price filter (query_api/search.py), and product pages."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import select

from projections.catalog import catalog_images, catalog_products
from projections.product_cache import ProductCache
from query_api.paging import Limit, Offset
from query_api.reads import CATALOG, PRODUCT_CACHE, Reads, ReadsDep
from query_api.schemas import Page
from query_api.search import Sort, catalog_query, search_words
from query_api.waiting import Position
from web.errors import InvalidInput
from web.headers import etag
from web.schemas import ImageOut, ProductOut

router = APIRouter(tags=["catalog"])

Price = Annotated[int | None, Query(ge=0, le=10**12, description="minor units, inclusive")]


@router.get("/products", response_model=Page[ProductOut])
async def list_products(
    reads: ReadsDep,
    position: Position,
    q: Annotated[
        str | None, Query(max_length=200, description="words of the name or description")
    ] = None,
    sort: Annotated[
        Sort | None, Query(description="default: relevance with q, newest without")
    ] = None,
    min_price: Price = None,
    max_price: Price = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ProductOut]:
    if min_price is not None and max_price is not None and min_price > max_price:
        raise InvalidInput("min_price", "must not be greater than max_price", where="query")
    await reads.caught_up(position, CATALOG)
    rows_query, count_query = catalog_query(q, sort or "relevance", min_price, max_price)
    async with reads.views.connect() as conn:
        total = await conn.scalar(count_query)
        if not total and len(search_words(q)) > 1:  # nothing has every word: any of them
            rows_query, count_query = catalog_query(
                q, sort or "relevance", min_price, max_price, every_word=False
            )
            total = await conn.scalar(count_query)
        rows = (await conn.execute(rows_query.limit(limit).offset(offset))).all()
        images = await _images_of(conn, [row.id for row in rows])
    items = [_product(row, images.get(row.id, [])) for row in rows]
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


def _product(row: Any, images: list[ImageOut]) -> ProductOut:
    product = ProductOut.model_validate(row, from_attributes=True)
    product.images = images
    return product


async def _images_of(conn: Any, product_ids: list[UUID]) -> dict[UUID, list[ImageOut]]:
    """The images of these products, each product's in the order they were added."""
    found: dict[UUID, list[ImageOut]] = defaultdict(list)
    if not product_ids:
        return found
    rows = await conn.execute(
        select(catalog_images)
        .where(catalog_images.c.product_id.in_(product_ids))
        .order_by(catalog_images.c.position)
    )
    for row in rows:
        found[row.product_id].append(ImageOut.of(**row._mapping))
    return found


async def _from_sql(reads: Reads, product_id: UUID) -> ProductOut | None:
    async with reads.views.connect() as conn:
        row = (
            await conn.execute(
                select(catalog_products).where(
                    catalog_products.c.id == product_id, catalog_products.c.delisted.is_(False)
                )
            )
        ).first()
        if row is None:
            return None
        images = await _images_of(conn, [product_id])
    return _product(row, images.get(product_id, []))


async def _from_redis(reads: Reads, product_id: UUID) -> ProductOut | None:
    cache = ProductCache(reads.settings.redis_namespace)
    fields = await reads.views.hash(cache.key(product_id))
    if "id" not in fields:  # gone, or only a stock change that outlived a delisting
        return None
    stored = await reads.views.hash(cache.images_key(product_id))
    images = sorted(
        ((image_id, json.loads(raw)) for image_id, raw in stored.items()),
        key=lambda pair: int(pair[1]["position"]),
    )
    return ProductOut(
        id=UUID(fields["id"]),
        name=fields["name"],
        description=fields["description"],
        price=int(fields["price"]),
        currency=fields["currency"],
        stock=int(fields["stock"]),
        version=int(fields["version"]),
        tax_class=fields.get("tax_class", "standard"),
        created_at=datetime.fromisoformat(fields["created_at"]),
        updated_at=datetime.fromisoformat(fields["updated_at"]),
        images=[ImageOut.of(image_id=image_id, **image) for image_id, image in images],
    )
