"""The Product aggregate: the catalog entry and its stock on hand."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCommand, NotFound, StateConflict
from domain.money import check_amount, check_currency
from domain.taxes import TAX_CLASSES


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidCommand("name must not be empty")
    return name


# Enough for a gallery; keeps the product's state (and snapshots) small.
MAX_IMAGES = 12


def check_stock(stock: int) -> int:
    if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
        raise InvalidCommand("stock must be a non-negative integer")
    return stock


class Product(Aggregate):
    """A product for sale. Stock is what can still be sold: reservations take from it."""

    class ProductListed(Aggregate.Created):
        name: str
        description: str
        price: int
        currency: str
        stock: int

    class ProductDetailsRevised(Aggregate.Event):
        name: str
        description: str

    class PriceChanged(Aggregate.Event):
        price: int
        currency: str

    class StockAdjusted(Aggregate.Event):
        stock: int

    class ProductDelisted(Aggregate.Event):
        pass

    class StockReserved(Aggregate.Event):
        order_id: UUID
        quantity: int

    class StockReleased(Aggregate.Event):
        order_id: UUID
        quantity: int

    class ImageAdded(Aggregate.Event):
        """An image as stored (content-addressed by the SHA-256 of its bytes): never the bytes."""

        image_id: UUID
        sha256: str
        thumbnail_sha256: str
        content_type: str
        width: int
        height: int
        size: int

    class ImageRemoved(Aggregate.Event):
        image_id: UUID

    class OrderAwaitingStock(Aggregate.Event):
        """A paid order whose units were sold meanwhile: a restock serves it first."""

        order_id: UUID

    class OrderStoppedAwaiting(Aggregate.Event):
        order_id: UUID

    class TaxClassChanged(Aggregate.Event):
        """Which of its country's rates the product is taxed at: standard or reduced."""

        tax_class: str

    # Products listed (and snapshots taken) before images existed have none: a class default,
    # only ever replaced, never changed in place.
    images: ClassVar[list[dict[str, Any]]] = []
    # Orders waiting for units, oldest first (same pattern: a default, only ever replaced).
    awaiting: ClassVar[list[UUID]] = []
    # Products listed before tax classes were standard-rated (an immutable default).
    tax_class: str = "standard"

    @event(ProductListed)
    def __init__(self, name: str, description: str, price: int, currency: str, stock: int) -> None:
        self.name = name
        self.description = description
        self.price = price
        self.currency = currency
        self.stock = stock
        self.delisted = False

    @classmethod
    def list_new(
        cls,
        name: str,
        description: str,
        price: int,
        currency: str,
        stock: int,
        tax_class: str | None = None,
    ) -> Product:
        product = cls(
            name=check_name(name),
            description=description.strip(),
            price=check_amount(price),
            currency=check_currency(currency),
            stock=check_stock(stock),
        )
        product.set_tax_class(tax_class)
        return product

    def set_tax_class(self, tax_class: str | None) -> None:
        """None keeps the product's class."""
        if tax_class is None or tax_class == self.tax_class:
            return
        if tax_class not in TAX_CLASSES:
            raise InvalidCommand(f"tax_class must be one of {', '.join(TAX_CLASSES)}")
        self._change_tax_class(tax_class)

    def revise(
        self,
        name: str,
        description: str,
        price: int,
        currency: str | None,
        stock: int,
        tax_class: str | None = None,
    ) -> None:
        """Apply a full edit, recording one event per kind of change (none if nothing changed).
        No currency keeps the product's own: a price is never silently re-denominated."""
        self._check_listed()
        name, description = check_name(name), description.strip()
        price = check_amount(price)
        currency = self.currency if currency is None else check_currency(currency)
        stock = check_stock(stock)
        if (name, description) != (self.name, self.description):
            self._revise_details(name, description)
        if (price, currency) != (self.price, self.currency):
            self._change_price(price, currency)
        if stock != self.stock:
            self._adjust_stock(stock)
        self.set_tax_class(tax_class)

    def delist(self) -> None:
        self._check_listed()
        self._delist()

    def reserve(self, order_id: UUID, quantity: int) -> None:
        """Take units for an order; refusing here is what prevents oversell."""
        if self.delisted:
            raise StateConflict(f"{self.name!r} is no longer sold")
        if quantity < 1:
            raise InvalidCommand("quantity must be at least 1")
        if quantity > self.stock:
            raise StateConflict(f"only {self.stock} of {self.name!r} left in stock")
        self._reserve(order_id, quantity)

    def release(self, order_id: UUID, quantity: int) -> None:
        """Give back units of an order that was not paid (even if the product was delisted)."""
        self._release(order_id, quantity)

    def await_stock(self, order_id: UUID) -> None:
        if order_id not in self.awaiting:
            self._await(order_id)

    def stop_awaiting(self, order_id: UUID) -> None:
        if order_id in self.awaiting:
            self._stop_awaiting(order_id)

    def add_image(self, image_id: UUID, **stored: Any) -> None:
        """Show one more image; the first one is the main image."""
        self._check_listed()
        if len(self.images) >= MAX_IMAGES:
            raise InvalidCommand(f"a product has at most {MAX_IMAGES} images")
        self._add_image(image_id=image_id, **stored)

    def remove_image(self, image_id: UUID) -> None:
        self._check_listed()
        if not any(image["id"] == str(image_id) for image in self.images):
            raise NotFound("image not found")
        self._remove_image(image_id)

    def _check_listed(self) -> None:
        if self.delisted:
            raise NotFound("product not found (it has been deleted)")

    @event(ProductDetailsRevised)
    def _revise_details(self, name: str, description: str) -> None:
        self.name = name
        self.description = description

    @event(PriceChanged)
    def _change_price(self, price: int, currency: str) -> None:
        self.price = price
        self.currency = currency

    @event(StockAdjusted)
    def _adjust_stock(self, stock: int) -> None:
        self.stock = stock

    @event(ProductDelisted)
    def _delist(self) -> None:
        self.delisted = True

    @event(StockReserved)
    def _reserve(self, order_id: UUID, quantity: int) -> None:
        self.stock -= quantity

    @event(StockReleased)
    def _release(self, order_id: UUID, quantity: int) -> None:
        self.stock += quantity

    @event(OrderAwaitingStock)
    def _await(self, order_id: UUID) -> None:
        self.awaiting = [*self.awaiting, order_id]  # type: ignore[misc]

    @event(OrderStoppedAwaiting)
    def _stop_awaiting(self, order_id: UUID) -> None:
        self.awaiting = [o for o in self.awaiting if o != order_id]  # type: ignore[misc]

    @event(ImageAdded)
    def _add_image(
        self,
        image_id: UUID,
        sha256: str,
        thumbnail_sha256: str,
        content_type: str,
        width: int,
        height: int,
        size: int,
    ) -> None:
        image = {
            "id": str(image_id),
            "sha256": sha256,
            "thumbnail_sha256": thumbnail_sha256,
            "content_type": content_type,
            "width": width,
            "height": height,
            "size": size,
        }
        self.images = [*self.images, image]  # type: ignore[misc]

    @event(TaxClassChanged)
    def _change_tax_class(self, tax_class: str) -> None:
        self.tax_class = tax_class

    @event(ImageRemoved)
    def _remove_image(self, image_id: UUID) -> None:
        self.images = [i for i in self.images if i["id"] != str(image_id)]  # type: ignore[misc]
