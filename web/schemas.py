"""Representations both APIs answer with: a product and an account look the same whether
they come back from a command or from a query."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from infra.accounts import User


class ProductOut(BaseModel):
    id: UUID
    name: str
    description: str
    price: int
    currency: str
    stock: int
    version: int
    created_at: datetime
    updated_at: datetime


class UserOut(BaseModel):
    id: UUID
    username: str
    email: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, username=user.username, email=user.email, role=user.role)
