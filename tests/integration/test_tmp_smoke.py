def test_smoke(shop):
    r = shop.create_product()
    g = shop.read(f"/products/{r.json()['id']}", after=r)
    assert g.status_code == 200, g.text
