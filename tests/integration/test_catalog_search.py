"""Catalog search over real HTTP on both backends: words in name and description with
ranking, sort, price filter, pagination, and the 4xx answers to bad parameters."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.catalog import DESCRIPTION_WEIGHT, NAME_WEIGHT, fold, terms_of, words
from query_api.search import search_words
from tests.support.servers import ShopUnderTest


def names(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["name"] for item in answer.json()["items"]]


def catalog(shop: ShopUnderTest) -> httpx.Response:
    """A small catalog; returns the last command's answer (to read after it)."""
    shop.create_product(name="Blue teapot", description="Porcelain, holds four cups", price=2500)
    shop.create_product(name="Teacup", description="A blue cup for tea", price=900)
    shop.create_product(
        name="Kettle", description="Whistles when the water for tea boils", price=4500
    )
    shop.create_product(name="Crème brûlée dish", description="Ceramic ramekin", price=700)
    return shop.create_product(name="Blue mug", description="Enamel", price=1200)


def test_search_ranks_name_matches_and_more_words_higher(shop: ShopUnderTest) -> None:
    last = catalog(shop)
    # Products with every word are the results: a name word outranks a description word.
    assert names(shop.read("/products?q=blue%20teapot", after=last)) == ["Blue teapot"]
    assert names(shop.read("/products?q=blue%20cup", after=last)) == ["Blue teapot", "Teacup"]
    # Nothing has both "blue" and "kettle": then anything with either, more words first,
    # name matches before description matches (ties: newest first).
    found = names(shop.read("/products?q=kettle%20blue", after=last))
    assert found == ["Blue mug", "Kettle", "Blue teapot", "Teacup"]
    assert names(shop.read("/products?q=tea%20whistles", after=last))[0] == "Kettle"
    # A word in a name outranks the same word in descriptions; prefixes match words.
    assert names(shop.read("/products?q=tea", after=last)) == ["Teacup", "Blue teapot", "Kettle"]
    assert names(shop.read("/products?q=whistl", after=last)) == ["Kettle"]
    # Case and accents do not matter, either way round.
    assert names(shop.read("/products?q=CREME%20brulee", after=last)) == ["Crème brûlée dish"]
    assert names(shop.read("/products?q=br%C3%BBl%C3%A9e", after=last)) == ["Crème brûlée dish"]
    assert names(shop.read("/products?q=nothing-like-it", after=last)) == []
    # Punctuation and LIKE wildcards are not operators.
    assert names(shop.read("/products?q=%25_%25", after=last)) == []


def test_search_sorts_filters_by_price_and_pages(shop: ShopUnderTest) -> None:
    last = catalog(shop)
    cheap_first = names(shop.read("/products?q=blue&sort=price_asc", after=last))
    assert cheap_first == ["Teacup", "Blue mug", "Blue teapot"]
    assert names(shop.read("/products?q=blue&sort=price_desc", after=last)) == cheap_first[::-1]
    assert names(shop.read("/products?sort=newest", after=last))[0] == "Blue mug"
    assert names(shop.read("/products?sort=price_asc", after=last))[0] == "Crème brûlée dish"
    between = shop.read("/products?min_price=900&max_price=2500&sort=price_asc", after=last)
    assert names(between) == ["Teacup", "Blue mug", "Blue teapot"]
    assert between.json()["total"] == 3
    page = shop.read("/products?q=blue&sort=price_asc&limit=2&offset=1", after=last).json()
    assert [i["name"] for i in page["items"]] == ["Blue mug", "Blue teapot"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert page["items"][0]["images"] == []


def test_search_follows_renames_and_delistings(shop: ShopUnderTest) -> None:
    created = shop.create_product(name="Teapot", description="Short and stout")
    product = created.json()
    renamed = shop.http.put(
        f"/products/{product['id']}",
        json={"name": "Coffee pot", "description": "Tall", "price": 1999, "stock": 5},
        headers={**shop.admin(), "If-Match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert names(shop.read("/products?q=teapot", after=renamed)) == []
    assert names(shop.read("/products?q=coffee%20tall", after=renamed)) == ["Coffee pot"]
    gone = shop.http.delete(f"/products/{product['id']}", headers=shop.admin())
    assert gone.status_code == 204
    assert names(shop.read("/products?q=coffee", after=gone)) == []


def test_bad_search_parameters_are_422(shop: ShopUnderTest) -> None:
    for query in (
        "sort=cheapest",
        "min_price=-1",
        "max_price=abc",
        "min_price=500&max_price=100",
        "limit=0",
        "limit=101",
        "q=" + "x" * 201,
    ):
        answer = shop.http.get(f"/products?{query}")
        assert answer.status_code == 422, (query, answer.text)
        assert "detail" in answer.json()


# -- the words, for any text --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=200))
def test_every_word_of_a_name_outranks_description_words(name: str, description: str) -> None:
    terms = terms_of(name, description)
    for word in words(name):
        assert terms[word] == NAME_WEIGHT
    for word in set(words(description)) - set(words(name)):
        assert terms[word] == DESCRIPTION_WEIGHT
    # A query finds what the projection indexed: the same folding on both sides.
    for word in search_words(name):
        assert word in terms
        assert fold(word) == word
