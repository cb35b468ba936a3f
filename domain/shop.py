"""The Shop application: loads aggregates, runs their commands, saves their events.

Every command returns the notification id of the last event it stored (the "position"),
so callers can ask the query side to wait for it (read-your-writes).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import Account
from domain.core import ShopCore
from domain.errors import VersionRequired
from domain.ordering import Ordering
from domain.products import Product


class Shop(Ordering, ShopCore):
    name = "shop"

    # -- accounts ---------------------------------------------------------------------------

    def open_account(self, user_id: UUID, role: str) -> int:
        return self.store(Account.open(user_id, role))

    def change_role(self, user_id: UUID, role: str) -> int:
        account = self.load(Account, user_id)
        account.change_role(role)
        return self.store(account)

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
        return product, self.store(product)

    def delist_product(self, product_id: UUID, expected_version: int | None) -> int:
        with self.editing(Product, product_id, expected_version) as product:
            product.delist()
        return self.store(product)
