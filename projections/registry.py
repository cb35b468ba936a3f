"""Every projection the shop runs; Redis hot views only when Redis is configured."""

from __future__ import annotations

from infra.settings import Settings
from projections.access import AccessView
from projections.base import Projection
from projections.carts import CartView
from projections.catalog import CatalogView
from projections.daily_sales import DailySalesView
from projections.orders import OrderViews
from projections.product_cache import ProductCache
from projections.selling import SellingView


def projections_for(settings: Settings) -> list[Projection]:
    views: list[Projection] = [
        CatalogView(),
        CartView(),
        OrderViews(),
        DailySalesView(),
        AccessView(),
        SellingView(),
    ]
    if settings.redis_url:
        views.append(ProductCache(settings.redis_namespace))
    return views
