"""The catalog view (SQL): every listed product, for browsing and product pages; the words
of its name and description, for search; and its images.

Search is the same on SQLite and MariaDB: the projection writes each product's distinct
words to `catalog_terms` with a weight (a word of the name counts NAME_WEIGHT, one only in
the description DESCRIPTION_WEIGHT), and a query matches its words against them by prefix
(query_api/search.py). Words are case- and accent-folded here and in the query alike.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects import mysql

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
    # Which of its country's tax rates applies: standard or reduced (TaxClassChanged).
    Column("tax_class", String(16), nullable=False, default="standard"),
    # The ProductListed position orders the catalog newest first, without timestamp ties.
    Column("listed_position", BigInteger, nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

NAME_WEIGHT = 3
DESCRIPTION_WEIGHT = 1
TERM_LENGTH = 40
# A description of 5,000 characters has fewer distinct words than this.
MAX_TERMS = 1000
# Folded words compare byte for byte on MariaDB too (its default collation would call
# "resume" and "résumé" one key, which the primary key below must not).
Term = String(TERM_LENGTH).with_variant(
    mysql.VARCHAR(TERM_LENGTH, charset="utf8mb4", collation="utf8mb4_bin"), "mysql"
)

catalog_terms = Table(
    "catalog_terms",
    views_metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("term", Term, primary_key=True),
    Column("weight", Integer, nullable=False),
    # A query reads terms by prefix first, then joins the product.
    Index("ix_catalog_terms_term", "term"),
)

catalog_images = Table(
    "catalog_images",
    views_metadata,
    Column("product_id", Uuid, primary_key=True),
    Column("image_id", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False),  # the ImageAdded event's: display order
    Column("sha256", String(64), nullable=False),
    Column("thumbnail_sha256", String(64), nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
)

_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents: "Crème Brûlée" -> "creme brulee"."""
    # Compatibility forms first (a mathematical S becomes S), so case folding sees letters.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text, in order, each cut to TERM_LENGTH characters."""
    return [word[:TERM_LENGTH] for word in _WORD.findall(fold(text))]


def terms_of(name: str, description: str) -> dict[str, int]:
    """Each distinct word with its weight: a name word outranks a description word."""
    weights: dict[str, int] = {}
    for word in words(description):
        weights.setdefault(word, DESCRIPTION_WEIGHT)
    for word in words(name):
        weights[word] = NAME_WEIGHT
    return dict(list(weights.items())[:MAX_TERMS])


class CatalogView(SqlProjection):
    name = "catalog"
    # 2: search terms and images. A worker of this version rebuilds an older view blue/green.
    version = 2
    tables = (catalog_products, catalog_terms, catalog_images)

    def plan(self, event: Any, plan: Plan) -> None:
        if isinstance(event, Product.ProductListed):
            plan.fresh(catalog_products.c.id, event.originator_id)
            plan.fresh(catalog_terms.c.product_id, event.originator_id)
            return
        plan.load(catalog_products.c.id, event.originator_id)
        if isinstance(event, Product.ProductDetailsRevised):
            plan.load(catalog_terms.c.product_id, event.originator_id)
        elif isinstance(event, Product.ImageRemoved):
            plan.load(catalog_images.c.product_id, event.originator_id)

    def _index(self, view: ViewBatch, product_id: Any, name: str, description: str) -> None:
        for row in view.where(catalog_terms, "product_id", product_id):
            view.delete(catalog_terms, (product_id, row["term"]))
        for term, weight in terms_of(name, description).items():
            view.insert(catalog_terms, product_id=product_id, term=term, weight=weight)

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
            tax_class="standard",
            listed_position=position,
            created_at=event.timestamp,
            updated_at=event.timestamp,
        )
        self._index(view, event.originator_id, event.name, event.description)

    @handles(Product.ProductDetailsRevised)
    def _revised(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, name=event.name, description=event.description)
        self._index(view, event.originator_id, event.name, event.description)

    @handles(Product.ImageAdded)
    def _image_added(self, view: ViewBatch, event: Any, position: int) -> None:
        view.insert(
            catalog_images,
            product_id=event.originator_id,
            image_id=event.image_id,
            position=position,
            sha256=event.sha256,
            thumbnail_sha256=event.thumbnail_sha256,
            content_type=event.content_type,
            width=event.width,
            height=event.height,
        )
        self._change(view, event)

    @handles(Product.ImageRemoved)
    def _image_removed(self, view: ViewBatch, event: Any, position: int) -> None:
        view.delete(catalog_images, (event.originator_id, event.image_id))
        self._change(view, event)

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

    @handles(Product.TaxClassChanged)
    def _tax_class(self, view: ViewBatch, event: Any, position: int) -> None:
        self._change(view, event, tax_class=event.tax_class)

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
