from tests.support.shopping import paid_order, all_at_once, emulator_refunds

def test_probe(shop):
    order, _ = paid_order(shop, price=1000, quantity=3)
    h = dict(shop.admin()); h["Idempotency-Key"] = "same"
    answers = all_at_once([lambda: shop.http.post(f"/orders/{order.id}/refunds", json={"amount": 700}, headers=h)] * 4)
    print("CODES", [a.status_code for a in answers], {a.json().get("stripe_refund_id") for a in answers})
    print("EMU", [r["amount"] for r in emulator_refunds(shop, order.payment_intent_id)])
