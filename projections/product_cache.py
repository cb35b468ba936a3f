"""The product hot view (Redis): one hash per live product, for fast product pages."""

from __future__ import annotations

import json
from typing import Any

from redis.client import Pipeline

from domain.products import Product
from projections.base import RedisProjection, handles


class ProductCache(RedisProjection):
    name = "product_cache"

    def _touch(self, pipe: Pipeline, event: Any, **fields: Any) -> None:
        fields.update(version=event.originator_version, updated_at=event.timestamp.isoformat())
        pipe.hset(self.key(event.originator_id), mapping=fields)  # type: ignore[arg-type]

    @handles(Product.ProductListed)
    def _listed(self, pipe: Pipeline, event: Any, position: int) -> None:
        self._touch(
            pipe,
            event,
            id=str(event.originator_id),
            name=event.name,
            description=event.description,
            price=event.price,
            currency=event.currency,
            stock=event.stock,
            created_at=event.timestamp.isoformat(),
        )

    @handles(Product.ProductDetailsRevised)
    def _revised(self, pipe: Pipeline, event: Any, position: int) -> None:
        self._touch(pipe, event, name=event.name, description=event.description)

    @handles(Product.PriceChanged)
    def _price(self, pipe: Pipeline, event: Any, position: int) -> None:
        self._touch(pipe, event, price=event.price, currency=event.currency)

    @handles(Product.StockAdjusted)
    def _stock(self, pipe: Pipeline, event: Any, position: int) -> None:
        self._touch(pipe, event, stock=event.stock)

    @handles(Product.StockReserved)
    def _reserved(self, pipe: Pipeline, event: Any, position: int) -> None:
        pipe.hincrby(self.key(event.originator_id), "stock", -event.quantity)
        self._touch(pipe, event)

    @handles(Product.StockReleased)
    def _released(self, pipe: Pipeline, event: Any, position: int) -> None:
        pipe.hincrby(self.key(event.originator_id), "stock", event.quantity)
        self._touch(pipe, event)

    @handles(Product.TaxClassChanged)
    def _tax_class(self, pipe: Pipeline, event: Any, position: int) -> None:
        self._touch(pipe, event, tax_class=event.tax_class)  # absent: "standard"

    @handles(Product.ImageAdded)
    def _image_added(self, pipe: Pipeline, event: Any, position: int) -> None:
        """Images in their own hash (image id -> JSON): handlers only write, never read."""
        image = {
            "position": position,
            "sha256": event.sha256,
            "thumbnail_sha256": event.thumbnail_sha256,
            "content_type": event.content_type,
            "width": event.width,
            "height": event.height,
        }
        pipe.hset(self.images_key(event.originator_id), str(event.image_id), json.dumps(image))
        self._touch(pipe, event)

    @handles(Product.ImageRemoved)
    def _image_removed(self, pipe: Pipeline, event: Any, position: int) -> None:
        pipe.hdel(self.images_key(event.originator_id), str(event.image_id))
        self._touch(pipe, event)

    @handles(Product.ProductDelisted)
    def _delisted(self, pipe: Pipeline, event: Any, position: int) -> None:
        pipe.delete(self.key(event.originator_id), self.images_key(event.originator_id))

    def images_key(self, product_id: object) -> str:
        return self.key(product_id, "images")
