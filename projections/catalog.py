"""The catalog view (SQL): every listed product, for browsing and product pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)

from domain.products import Product
from infra.read_store import UTCDateTime, views_metadata
from projections.base import SqlProjection, handles
from projections.batch import Plan, ViewBatch

catalog_products = Table(
    "catalog_products",
    views_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("stock", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("delisted", Boolean, nullable=False, default=False),
    # The ProductListed position orders the catalog newest first, without timestamp ties.
    Column("listed_position", BigInteger, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


class CatalogView(SqlProjection):
    name = "catalog"
    tables = (catalog_products,)

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, Product.ProductListed):
            plan.fresh(catalog_products.c.id, event.originator_id)
        else:
            plan.load(catalog_products.c.id, event.originator_id)

    @handles(Product.ProductListed)
    def _listed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            catalog_products,
            id=event.originator_id,
            name=event.name,
            description=event.description,
            price=event.price,
            currency=event.currency,
            stock=event.stock,
            version=event.originator_version,
            delisted=False,
            listed_position=position,
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )

    @handles(Product.ProductDetailsRevised)
    def _revised(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, name=event.name, description=event.description)

    @handles(Product.PriceChanged)
    def _price(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, price=event.price, currency=event.currency)

    @handles(Product.StockAdjusted)
    def _stock(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, stock=event.stock)

    @handles(Product.StockReserved)
    def _reserved(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, add={"stock": -event.quantity})

    @handles(Product.StockReleased)
    def _released(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, add={"stock": event.quantity})

    @handles(Product.ProductDelisted)
    def _delisted(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, delisted=True)

    def _change(
        self, view: ViewBatch, event: Any, add: dict[str, int] | None = None, **values: Any
    ) -> None:
        view.update(
            catalog_products,
            event.originator_id,
            add,
            version=event.originator_version,
            updated_at=event.timestamp,
            **values,
        )
