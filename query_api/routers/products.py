"""The catalog, read from the catalog view (SQL) or the product hot view (Redis)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy import func, select

from infra.services import Services
from projections.catalog import catalog_products
from projections.product_cache import ProductCache
from query_api.paging import Limit, Offset
from query_api.schemas import Page
from query_api.waiting import Position, caught_up, wait_for
from web.app import ServicesDep
from web.headers import etag
from web.schemas import ProductOut

router = APIRouter(tags=["catalog"])


@router.get(
    "/products", response_model=Page[ProductOut], dependencies=[Depends(caught_up("catalog"))]
)
def list_products(
    services: ServicesDep,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Page[ProductOut]:
    live = catalog_products.c.delisted.is_(False)
    with services.read_engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(catalog_products).where(live)
        ).scalar_one()
        rows = conn.execute(
            select(catalog_products)
            .where(live)
            .order_by(catalog_products.c.listed_position.desc())
            .limit(limit)
            .offset(offset)
        ).all()
    items = [ProductOut.model_validate(row, from_attributes=True) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _product_page_caught_up(services: ServicesDep, position: Position) -> None:
    """Product pages come from the Redis hot view when there is one, else from the catalog."""
    if services.redis is not None:
        wait_for(services, ProductCache.name, position, in_redis=True)
    else:
        wait_for(services, "catalog", position)


@router.get(
    "/products/{product_id}",
    response_model=ProductOut,
    dependencies=[Depends(_product_page_caught_up)],
)
def get_product(product_id: UUID, services: ServicesDep, response: Response) -> ProductOut:
    product = (
        _from_redis(services, product_id) if services.redis else _from_sql(services, product_id)
    )
    if product is None:
        raise HTTPException(404, "product not found")
    response.headers["ETag"] = etag(product.version)
    return product


def _from_sql(services: Services, product_id: UUID) -> ProductOut | None:
    with services.read_engine.connect() as conn:
        row = conn.execute(
            select(catalog_products).where(
                catalog_products.c.id == product_id, catalog_products.c.delisted.is_(False)
            )
        ).first()
    return ProductOut.model_validate(row, from_attributes=True) if row else None


def _from_redis(services: Services, product_id: UUID) -> ProductOut | None:
    assert services.redis is not None
    cache = ProductCache(services.settings.redis_namespace)
    fields: dict[str, str] = services.redis.hgetall(cache.key(product_id))  # type: ignore[assignment]
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
