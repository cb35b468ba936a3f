"""Cart, checkout and order commands, and how Stripe's facts change an order.

Stock moves with the order in the same transaction: a checkout saves the order, the emptied
cart and every reserved product at once, guarded by their versions, so the last unit can
only be sold once however many shoppers race for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import DomainEvent

from domain.accounts import Account
from domain.carts import Cart, cart_id_for
from domain.core import ShopCore
from domain.discounts import DiscountCode, code_id_for
from domain.errors import ConcurrentUpdate, InvalidCommand, InvalidFields, NotFound
from domain.orders import Order
from domain.payment_records import (
    PaymentIntentLink,
    StripeEventReceipt,
    link_id_for,
    receipt_id_for,
)
from domain.pricing import Figures, PricedLine, price
from domain.products import Product
from domain.shipping import BOOK_ID as SHIPPING_BOOK_ID
from domain.shipping import Quote, ShippingBook
from domain.stripe_facts import StripeFact
from domain.taxes import BOOK_ID as TAX_BOOK_ID
from domain.taxes import TaxBook


@dataclass(frozen=True)
class CheckoutTerms:
    """What the shopper chose at checkout. Addresses are personal data: the caller has kept
    them (infra/address_store.py) and passes their ids, and the shipping country."""

    shipping_country: str | None = None
    shipping_address_id: UUID | None = None
    billing_address_id: UUID | None = None
    shipping_method_id: str | None = None
    discount_code: str | None = None
    prices_include_tax: bool = True
    # Where an order without an address is taxed (the shop's own country), if anywhere.
    tax_country: str | None = None


@dataclass(frozen=True)
class PricedCart:
    """A cart priced for checkout: the order's lines and figures, and what they came from."""

    lines: list[dict[str, Any]]
    products: list[Product]
    figures: Figures
    currency: str
    shipping: Quote | None
    code: DiscountCode | None
    prices_include_tax: bool


_KEYLESS = uuid5(NAMESPACE_URL, "https://order-platform/checkout/cart")
# How long after a keyless checkout its retry (an empty cart) still reports that order.
KEYLESS_REPLAY_WINDOW = timedelta(minutes=15)


def order_id_for_cart(cart_id: UUID) -> UUID:
    """A checkout without an Idempotency-Key: the cart names the order (one per cart)."""
    return uuid5(_KEYLESS, str(cart_id))


class Ordering(ShopCore):
    # -- cart ----------------------------------------------------------------------------------

    def current_cart_id(self, user_id: UUID) -> UUID:
        """The user's cart now: the account names it (users without one keep their first)."""
        account = self.find(Account, user_id)
        return account.cart_id if account is not None else cart_id_for(user_id)

    def cart_of(self, user_id: UUID) -> Cart | None:
        return self.find(Cart, self.current_cart_id(user_id))

    def add_to_cart(self, user_id: UUID, product_id: UUID, quantity: int) -> tuple[Cart, int]:
        def add() -> tuple[Cart, int]:
            product = self.find(Product, product_id)
            if product is None or product.delisted:
                raise InvalidCommand("unknown product (or no longer sold)")
            cart_id = self.current_cart_id(user_id)
            cart = self.find(Cart, cart_id) or Cart.open(user_id, cart_id)
            others = [self.load(Product, pid) for pid in cart.lines if pid != product_id]
            if any(other.currency != product.currency for other in others):
                raise InvalidCommand("a cart holds one currency; check out the other first")
            cart.add(product_id, quantity, in_stock=product.stock)
            return cart, self.store(cart)

        return self.retrying(add)

    def set_cart_quantity(self, user_id: UUID, product_id: UUID, quantity: int) -> int:
        """Set a line's quantity (0 removes it); setting what is already there stores nothing."""

        def set_quantity() -> int:
            cart_id = self.current_cart_id(user_id)
            cart = self.find(Cart, cart_id)
            current = cart.lines.get(product_id, 0) if cart is not None else 0
            if quantity == current:
                return self.position()
            product = self.find(Product, product_id)
            if quantity > current and (product is None or product.delisted):
                raise InvalidCommand("unknown product (or no longer sold)")
            cart = cart or Cart.open(user_id, cart_id)
            if current == 0 and product is not None:
                others = [self.load(Product, pid) for pid in cart.lines]
                if any(other.currency != product.currency for other in others):
                    raise InvalidCommand("a cart holds one currency; check out the other first")
            cart.set_quantity(product_id, quantity, in_stock=product.stock if product else 0)
            return self.store(cart)

        return self.retrying(set_quantity)

    def remove_from_cart(self, user_id: UUID, product_id: UUID) -> int:
        def remove() -> int:
            cart = self.cart_of(user_id)
            if cart is None:
                raise NotFound("that product is not in your cart")
            cart.remove(product_id)
            return self.store(cart)

        return self.retrying(remove)

    # -- checkout ------------------------------------------------------------------------------

    def quote_order(self, user_id: UUID, terms: CheckoutTerms) -> PricedCart:
        """The figures the cart would be placed at with these terms, nothing stored."""
        cart = self.cart_of(user_id)
        if cart is None or not cart.lines:
            raise InvalidCommand("your cart is empty")
        return self._price(user_id, cart, terms)

    def _price(self, user_id: UUID, cart: Cart, terms: CheckoutTerms) -> PricedCart:
        """Price the cart's lines from the event-sourced products (never from the client),
        with the shipping method, tax rates and discount code as they stand now."""
        products = [self.load(Product, pid) for pid in cart.lines]
        currencies = {product.currency for product in products}
        if len(currencies) > 1:
            raise InvalidCommand("the cart mixes currencies; check out one currency at a time")
        currency = currencies.pop()
        shipping = self._shipping_for(terms, currency)
        taxes = self.find(TaxBook, TAX_BOOK_ID)
        country = terms.shipping_country or terms.tax_country

        def rate(tax_class: str) -> int:
            return taxes.rate_for(country, tax_class) if taxes is not None else 0

        code = self._code_for(terms)
        priced = [
            PricedLine(
                str(p.id),
                p.price,
                cart.lines[p.id],
                rate(p.tax_class),
                discountable=code is None or code.applies_to(str(p.id)),
            )
            for p in products
        ]
        discount = None
        if code is not None:
            subtotal = sum(line.amount for line in priced)
            eligible = sum(line.amount for line in priced if line.discountable)
            discount = code.discount_for(user_id, currency, subtotal, eligible)
        figures = price(
            priced,
            prices_include_tax=terms.prices_include_tax,
            discount=discount,
            shipping_price=shipping.price if shipping else 0,
            free_above=shipping.free_above if shipping else None,
            shipping_rate_bp=rate("standard"),
        )
        if figures.total < 1:
            raise InvalidCommand("nothing to pay: the order total must be at least 1 minor unit")
        lines = [
            {
                "product_id": str(product.id),
                "name": product.name,
                "unit_price": product.price,
                "quantity": line.quantity,
                "tax_class": product.tax_class,
                "rate_bp": line.rate_bp,
                "discount": line_discount,
                "tax": line_tax,
            }
            for product, line, line_discount, line_tax in zip(
                products, priced, figures.line_discounts, figures.line_taxes, strict=True
            )
        ]
        return PricedCart(
            lines, products, figures, currency, shipping, code, terms.prices_include_tax
        )

    def _shipping_for(self, terms: CheckoutTerms, currency: str) -> Quote | None:
        """The shipping the order pays; none (and no address needed) while the shop has no
        shipping methods at all."""
        book = self.find(ShippingBook, SHIPPING_BOOK_ID)
        if book is None or not book.configured:
            if terms.shipping_method_id:
                raise InvalidFields([("shipping_method_id", "the shop has no shipping methods")])
            return None
        if terms.shipping_country is None:
            raise InvalidFields([("shipping_address", "is required: the shop ships its orders")])
        return book.quote(terms.shipping_method_id, terms.shipping_country, currency)

    def _code_for(self, terms: CheckoutTerms) -> DiscountCode | None:
        if not terms.discount_code:
            return None
        code = self.find(DiscountCode, code_id_for(terms.discount_code))
        if code is None:
            raise InvalidFields([("discount_code", f"{terms.discount_code} is not a valid code")])
        return code

    def place_order(
        self, user_id: UUID, order_id: UUID | None, terms: CheckoutTerms | None = None
    ) -> tuple[Order, int, bool]:
        """Reserve the cart's stock and place the order; (order, position, newly placed).

        Prices come from the event-sourced products, never from the client. Placing an
        order id that already exists (a repeated Idempotency-Key) returns that order, whatever
        the cart holds now. Without a key (`order_id` None) the cart names the order: its id
        derives from the cart's, and a retry that finds the cart already checked out (the
        account moved on to an empty next cart) gets the order that cart became. The order,
        the closed cart, the account (now pointing at the next cart) and every reserved
        product are saved in one transaction, guarded by their versions.
        """

        chosen = terms or CheckoutTerms()

        def place() -> tuple[Order, int, bool]:
            # The account and cart are read before the order: a concurrent retry with the same
            # key that commits in between is then found as the order, not mistaken for an
            # empty cart.
            account = self.find(Account, user_id)
            cart_id = account.cart_id if account is not None else cart_id_for(user_id)
            cart = self.find(Cart, cart_id)
            wanted = order_id
            if wanted is None:
                replay = self._keyless_replay(account) if cart is None or not cart.lines else None
                wanted = replay or order_id_for_cart(cart_id)
            existing = self.find(Order, wanted)
            if existing is not None:
                if existing.user_id != user_id:
                    raise NotFound("order not found")
                return existing, self.position(), False
            if cart is not None and cart.closed:
                raise ConcurrentUpdate("the cart was checked out meanwhile")  # retried
            if cart is None or not cart.lines:
                raise InvalidCommand("your cart is empty")
            priced = self._price(user_id, cart, chosen)
            if account is None:
                raise NotFound("no account for this user")
            for product in priced.products:
                product.reserve(wanted, cart.lines[product.id])
            figures = priced.figures
            order = Order.place(
                wanted,
                user_id,
                priced.lines,
                figures.total,
                priced.currency,
                str(user_id),
                subtotal=figures.subtotal,
                discount=figures.discount,
                shipping=figures.shipping,
                tax=figures.tax,
                tax_by_rate={str(rate): amount for rate, amount in figures.tax_by_rate.items()},
                prices_include_tax=priced.prices_include_tax,
                shipping_method=(
                    {
                        **priced.shipping.as_dict(),
                        "charged": figures.shipping,
                        "tax": figures.shipping_tax,
                    }
                    if priced.shipping
                    else None
                ),
                discount_code=priced.code.code if priced.code else None,
                shipping_address_id=chosen.shipping_address_id,
                billing_address_id=chosen.billing_address_id,
            )
            if priced.code is not None:
                priced.code.redeem(wanted, user_id)
            cart.check_out(wanted, account.start_new_cart(wanted))
            return order, self.store(order, cart, account, *priced.products, priced.code), True

        return self.retrying(place)

    def _keyless_replay(self, account: Account | None) -> UUID | None:
        """The order a keyless checkout made moments ago from the account's previous cart
        (the answer that timed out), so its retry reports it instead of "your cart is empty"."""
        if account is None or account.last_order_id is None or account.previous_cart_id is None:
            return None
        if account.last_order_id != order_id_for_cart(account.previous_cart_id):
            return None  # that checkout had a key of its own: its retry sends it again
        order = self.find(Order, account.last_order_id)
        if order is None or datetime.now(UTC) - order.created_on > KEYLESS_REPLAY_WINDOW:
            return None
        return order.id

    def attach_payment_intent(self, order_id: UUID, payment_intent_id: str, actor: str) -> int:
        def attach() -> int:
            order = self.load(Order, order_id)
            if order.payment_intent_id is not None:
                return self.position()
            order.attach_payment_intent(payment_intent_id, actor)
            return self.store(order, PaymentIntentLink(payment_intent_id, order_id))

        return self.retrying(attach)

    # -- managing orders -----------------------------------------------------------------------

    def order_for(self, order_id: UUID, user_id: UUID | None = None) -> Order:
        """The order; NotFound also when it belongs to another user (never reveal it)."""
        order = self.load(Order, order_id)
        if user_id is not None and order.user_id != user_id:
            raise NotFound("order not found")
        return order

    def cancel_order(self, order_id: UUID, reason: str, actor: str) -> int:
        def cancel() -> int:
            order = self.load(Order, order_id)
            order.cancel(reason, actor)
            return self.store(order, *self._settle(order, actor))

        return self.retrying(cancel)

    def fulfil_order(self, order_id: UUID, tracking_note: str, actor: str) -> int:
        def fulfil() -> int:
            order = self.load(Order, order_id)
            order.fulfil(tracking_note, actor)
            return self.store(order)

        return self.retrying(fulfil)

    def request_refund(self, order_id: UUID, refund_id: str, amount: int, actor: str) -> bool:
        """Record the refund request; False when it was already recorded (see Order)."""

        def request() -> bool:
            order = self.load(Order, order_id)
            if not order.request_refund(refund_id, amount, actor):
                return False
            self.store(order)
            return True

        return self.retrying(request)

    def refund_submitted(
        self, order_id: UUID, refund_id: str, stripe_refund_id: str, actor: str
    ) -> int:
        def submitted() -> int:
            order = self.load(Order, order_id)
            order.refund_submitted(refund_id, stripe_refund_id, actor)
            return self.store(order)

        return self.retrying(submitted)

    def refund_outcome_unknown(
        self, order_id: UUID, refund_id: str, reason: str, actor: str
    ) -> int:
        def unknown() -> int:
            order = self.load(Order, order_id)
            order.refund_outcome_unknown(refund_id, reason, actor)
            return self.store(order)

        return self.retrying(unknown)

    def refund_failed(self, order_id: UUID, refund_id: str, reason: str, actor: str) -> int:
        def failed() -> int:
            order = self.load(Order, order_id)
            order.refund_failed(refund_id, reason, actor)
            return self.store(order)

        return self.retrying(failed)

    # -- Stripe --------------------------------------------------------------------------------

    def record_stripe_event(self, fact: StripeFact) -> tuple[int, bool]:
        """Append a Stripe event once, with its effect on the order, in one transaction.

        Returns (position, duplicate). A second delivery (even a concurrent one) finds the
        receipt already stored and stores nothing (see note_deliveries).
        """

        def record() -> tuple[int, bool]:
            if self.find(StripeEventReceipt, receipt_id_for(fact.event_id)) is not None:
                return self.position(), True
            order = self._order_of(fact)
            receipt = StripeEventReceipt(
                stripe_event_id=fact.event_id,
                stripe_type=fact.type,
                order_id=order.id if order else None,
                amount=fact.amount,
                currency=fact.currency,
            )
            if order is None:
                return self.store(receipt), False
            order.receive(fact)
            return self.store(receipt, order, *self._settle(order, fact.source)), False

        return self.retrying(record)

    def note_deliveries(self, stripe_event_id: str, deliveries: int) -> int:
        """Note on the receipt how many times Stripe delivered this event (a few times per
        event: the caller counts each delivery elsewhere and notes 2, 4, 8, ...)."""

        def note() -> int:
            receipt = self.load(StripeEventReceipt, receipt_id_for(stripe_event_id))
            receipt.note_deliveries(deliveries)
            return self.store(receipt)

        return self.retrying(note)

    def _order_of(self, fact: StripeFact) -> Order | None:
        order_id: UUID | None = None
        if fact.payment_intent_id:
            link = self.find(PaymentIntentLink, link_id_for(fact.payment_intent_id))
            order_id = link.order_id if link else None
        if order_id is None and fact.order_id:
            try:
                order_id = UUID(fact.order_id)
            except ValueError:
                return None
        return self.find(Order, order_id) if order_id else None

    def _settle(self, order: Order, actor: str) -> list[Any]:
        """Bring what the order holds in line with its state: its units, and the use of its
        discount code (given back when the order is cancelled unpaid)."""
        return [*self._settle_stock(order, actor), *self._settle_code(order)]

    def _settle_code(self, order: Order) -> list[Any]:
        if order.discount_code is None or order.status != "cancelled":
            return []
        code = self.find(DiscountCode, code_id_for(order.discount_code))
        if code is None or str(order.id) not in code.redemptions:
            return []
        code.release(order.id)
        return [code]

    def _settle_stock(self, order: Order, actor: str) -> list[Any]:
        """Return or take back the order's units so that they match its state; returns
        every other aggregate that changed, to save with the order.

        Taking back (a payment that succeeded after a failure) is all or nothing and never
        takes stock below zero; when the units are gone the order needs stock (visible, and
        refused by fulfil) and waits on its products. Units given back go first to paid orders
        waiting for them, as a restock does.
        """
        if order.holds_stock == order.reserved:
            return []
        products = [self.load(Product, UUID(line["product_id"])) for line in order.lines]
        if not order.holds_stock:
            for product, line in zip(products, order.lines, strict=True):
                product.release(order.id, line["quantity"])
            order.release_reservation(actor)
            return [*products, *self.serve_awaiting_orders(products, actor, skip=order.id)]
        if self._take_units(order, products, actor):
            return products
        if order.stock_shortfall:
            return []
        order.renew_reservation(False, actor)
        for product in products:
            product.await_stock(order.id)
        return products

    @staticmethod
    def _take_units(order: Order, products: list[Product], actor: str) -> bool:
        lines = list(zip(products, order.lines, strict=True))
        if not all(not p.delisted and p.stock >= line["quantity"] for p, line in lines):
            return False
        for product, line in lines:
            product.reserve(order.id, line["quantity"])
            product.stop_awaiting(order.id)
        order.renew_reservation(True, actor)
        return True

    def serve_awaiting_orders(
        self, products: list[Product], actor: str, skip: UUID | None = None
    ) -> list[Any]:
        """Units came back (a restock, a release): paid orders short of these products take
        theirs, oldest first. Returns what changed besides `products` (the served orders and
        their other products), to save in the same transaction."""
        known = {product.id: product for product in products}
        given = set(known)
        extra: dict[UUID, Any] = {}
        for product in products:
            for order_id in list(product.awaiting):
                order = None if order_id == skip else self.find(Order, order_id)
                if order is None or not order.needs_stock:
                    product.stop_awaiting(order_id)
                    continue
                wanted = [UUID(line["product_id"]) for line in order.lines]
                for product_id in wanted:
                    if product_id not in known:
                        known[product_id] = self.load(Product, product_id)
                if self._take_units(order, [known[pid] for pid in wanted], actor):
                    extra[order.id] = order
                    extra.update({pid: known[pid] for pid in wanted if pid not in given})
        return list(extra.values())

    # -- time travel ---------------------------------------------------------------------------

    def order_as_of(self, order_id: UUID, at: datetime) -> Order:
        """The order as it stood at `at`: replay its events up to the last one not after it."""
        version = None
        for domain_event in self.events.get(order_id):
            if cast(DomainEvent, domain_event).timestamp > at:
                break
            version = domain_event.originator_version
        if version is None:
            raise NotFound("the order did not exist at that time")
        return self.load(Order, order_id, version=version)
