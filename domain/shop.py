"""The Shop application: loads aggregates, runs their commands, saves their events.

Every command returns the notification id of the last event it stored (the "position"),
so callers can ask the query side to wait for it (read-your-writes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.access import TokenRevocation, revocation_id_for
from domain.accounts import Account
from domain.carts import Cart
from domain.core import ShopCore
from domain.discounts import DiscountCode, Terms, code_id_for
from domain.errors import ConcurrentUpdate, StateConflict, VersionRequired
from domain.ordering import Ordering
from domain.products import Product
from domain.shipping import BOOK_ID as SHIPPING_BOOK_ID
from domain.shipping import ShippingBook
from domain.taxes import BOOK_ID as TAX_BOOK_ID
from domain.taxes import TaxBook


class Shop(Ordering, ShopCore):
    name = "shop"
    # Aggregates that live as long as a product or a user: loads read the latest snapshot and
    # at most this many events after it (see domain/repository.py).
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        Product: 50,
        Account: 50,
        Cart: 50,
        ShippingBook: 50,
        TaxBook: 50,
        DiscountCode: 50,
    }

    # -- accounts ---------------------------------------------------------------------------

    def open_account(self, user_id: UUID, role: str) -> int:
        return self.store(Account.open(user_id, role))

    def change_role(self, user_id: UUID, role: str) -> int:
        def change() -> int:
            account = self.load(Account, user_id)
            account.change_role(role)
            return self.store(account)

        return self.retrying(change)

    def revoke_token(self, jti: str, user_id: UUID, expires_at: datetime) -> int:
        """Record a logout. The id derives from the jti, so a repeat is a no-op, not an error."""
        if self.find(TokenRevocation, revocation_id_for(jti)) is not None:
            return self.position()
        revocation = TokenRevocation(jti=jti, user_id=user_id, expires_at=expires_at)
        try:
            return self.store(revocation)
        except ConcurrentUpdate:
            return self.position()  # a concurrent logout with the same token stored it first

    # -- catalog ----------------------------------------------------------------------------

    def list_product(self, **fields: Any) -> tuple[Product, int]:
        product = Product.list_new(**fields)
        return product, self.store(product)

    def revise_product(
        self, product_id: UUID, expected_version: int | None, **fields: Any
    ) -> tuple[Product, int]:
        with self.editing(Product, product_id, expected_version) as product:
            if expected_version is None and fields["stock"] != product.stock:
                # Stock moves with every checkout: setting it from a form read earlier
                # would undo reservations made since, and oversell.
                raise VersionRequired(
                    "changing stock needs If-Match with the version you read"
                    f" (current: {product.version}, stock {product.stock})"
                )
            product.revise(**fields)
            served = self.serve_awaiting_orders([product], "admin") if product.awaiting else []
        return product, self.store(product, *served)

    def delist_product(self, product_id: UUID, expected_version: int | None) -> int:
        with self.editing(Product, product_id, expected_version) as product:
            product.delist()
        return self.store(product)

    def add_product_image(
        self, product_id: UUID, image_id: UUID, **stored: Any
    ) -> tuple[Product, int]:
        def add() -> tuple[Product, int]:
            product = self.load(Product, product_id)
            product.add_image(image_id, **stored)
            return product, self.store(product)

        return self.retrying(add)

    def remove_product_image(self, product_id: UUID, image_id: UUID) -> int:
        def remove() -> int:
            product = self.load(Product, product_id)
            product.remove_image(image_id)
            return self.store(product)

        return self.retrying(remove)

    # -- shipping, tax and discount codes (admins) ------------------------------------------

    def set_shipping_method(self, method_id: str | None, **fields: Any) -> tuple[str, int]:
        """Add (no id) or replace a shipping method; (its id, position)."""

        def set_method() -> tuple[str, int]:
            book = self.find(ShippingBook, SHIPPING_BOOK_ID) or ShippingBook()
            chosen = book.set_method(method_id, **fields)
            return chosen, self.store(book)

        return self.retrying(set_method)

    def remove_shipping_method(self, method_id: str) -> int:
        def remove() -> int:
            book = self.find(ShippingBook, SHIPPING_BOOK_ID) or ShippingBook()
            book.remove_method(method_id)
            return self.store(book)

        return self.retrying(remove)

    def set_tax_rate(
        self, country: str, rate_bp: int, reduced_rate_bp: int | None, *, new: bool
    ) -> tuple[str, int]:
        def set_rate() -> tuple[str, int]:
            book = self.find(TaxBook, TAX_BOOK_ID) or TaxBook()
            rate_id = book.set_rate(country, rate_bp, reduced_rate_bp, new=new)
            return rate_id, self.store(book)

        return self.retrying(set_rate)

    def tax_country(self, rate_id: str) -> str:
        book = self.find(TaxBook, TAX_BOOK_ID) or TaxBook()
        return book.country_of(rate_id)

    def remove_tax_rate(self, rate_id: str) -> int:
        def remove() -> int:
            book = self.find(TaxBook, TAX_BOOK_ID) or TaxBook()
            book.remove_rate(rate_id)
            return self.store(book)

        return self.retrying(remove)

    def create_discount_code(self, code: str, terms: Terms) -> tuple[DiscountCode, int]:
        """A new code; StateConflict when the code exists (deleted ones too: a code, once
        given out, never means something else)."""
        if self.find(DiscountCode, code_id_for(code)) is not None:
            raise StateConflict(f"the code {code.strip().upper()} exists already")
        created = DiscountCode.create(code, terms)
        try:
            return created, self.store(created)
        except ConcurrentUpdate:
            raise StateConflict(f"the code {created.code} exists already") from None

    def revise_discount_code(self, code_id: UUID, terms: Terms) -> tuple[DiscountCode, int]:
        def revise() -> tuple[DiscountCode, int]:
            code = self.load(DiscountCode, code_id)
            code.revise(terms)
            return code, self.store(code)

        return self.retrying(revise)

    def retire_discount_code(self, code_id: UUID) -> int:
        def retire() -> int:
            code = self.load(DiscountCode, code_id)
            code.retire()
            return self.store(code)

        return self.retrying(retire)
