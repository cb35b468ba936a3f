"""Response bodies of the query API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ProductView(BaseModel):
    id: UUID
    name: str
    description: str
    price: int
    currency: str
    stock: int
    version: int
    created_at: datetime
    updated_at: datetime


class UserView(BaseModel):
    id: UUID
    username: str
    email: str
    role: str
