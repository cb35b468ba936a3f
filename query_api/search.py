"""Catalog search, sort and price filter: one query function for SQLite and MariaDB alike.

A query's words (folded like the catalog projection folds the products' words) are matched
by prefix against `catalog_terms`; per product, each query word scores its best term:
a name word outranks a description word, and an exact word outranks a longer one that
starts with it. Products with every word are the results; when none has them all, the
products with any of them are, ranked so that more matched words come first. Relevance
orders by matched words, then score, then newest first.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Select, case, func, literal, select, union_all

from projections.catalog import catalog_products, catalog_terms, words

Sort = Literal["relevance", "newest", "price_asc", "price_desc"]
# More words than this add little to a search and cost a scan each.
MAX_WORDS = 8


def search_words(q: str | None) -> list[str]:
    """The distinct folded words of a query, at most MAX_WORDS."""
    return list(dict.fromkeys(words(q or "")))[:MAX_WORDS]


def _like_prefix(word: str) -> str:
    return word.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _scores(query_words: list[str]) -> Any:
    """product_id, matched (query words found), score: one row per matching product."""
    term = catalog_terms.c.term
    parts = [
        select(
            catalog_terms.c.product_id.label("product_id"),
            literal(index).label("word"),
            func.max(catalog_terms.c.weight * 2 + case((term == word, 1), else_=0)).label("weight"),
        )
        .where(term.like(_like_prefix(word), escape="/"))
        .group_by(catalog_terms.c.product_id)
        for index, word in enumerate(query_words)
    ]
    hits = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("hits")
    return (
        select(
            hits.c.product_id,
            func.count().label("matched"),
            func.sum(hits.c.weight).label("score"),
        )
        .group_by(hits.c.product_id)
        .subquery("scores")
    )


def catalog_query(
    q: str | None,
    sort: Sort,
    min_price: int | None,
    max_price: int | None,
    every_word: bool = True,
) -> tuple[Select[Any], Select[Any]]:
    """(the page query without limit/offset, the count query) for a catalog search; with
    `every_word`, only products that have all of the query's words."""
    products = catalog_products
    conditions: list[Any] = [products.c.delisted.is_(False)]
    if min_price is not None:
        conditions.append(products.c.price >= min_price)
    if max_price is not None:
        conditions.append(products.c.price <= max_price)
    newest = products.c.listed_position.desc()
    query_words = search_words(q)
    if not query_words:
        rows = select(products).where(*conditions)
        count = select(func.count()).select_from(products).where(*conditions)
        order = {"price_asc": products.c.price.asc(), "price_desc": products.c.price.desc()}
        first = order.get(sort)
        return rows.order_by(*(o for o in (first, newest) if o is not None)), count
    scores = _scores(query_words)
    if every_word:
        conditions.append(scores.c.matched == len(query_words))
    joined = products.join(scores, scores.c.product_id == products.c.id)
    rows = select(products).select_from(joined).where(*conditions)
    count = select(func.count()).select_from(joined).where(*conditions)
    if sort == "relevance":
        ordering = [scores.c.matched.desc(), scores.c.score.desc(), newest]
    elif sort == "price_asc":
        ordering = [products.c.price.asc(), newest]
    elif sort == "price_desc":
        ordering = [products.c.price.desc(), newest]
    else:
        ordering = [newest]
    return rows.order_by(*ordering), count
