from tests.support.shopping import add, new_product, person, read_json


def test_probe(shop):
    teapot = new_product(shop, price=1000, stock=5)
    alice = person(shop)
    add(shop, alice, teapot, 1)
    stale = 0
    for price in range(1001, 1061):
        r = shop.http.put(
            f"/products/{teapot}",
            json={"name": "Teapot", "description": "", "price": price, "stock": 5},
            headers=shop.admin(),
        )
        cart = read_json(shop, "/cart", r, alice)
        if cart["items"][0]["unit_price"] != price:
            stale += 1
    print("STALE", stale)
    assert stale == 0
