"""Representations both APIs answer with: a product and an account look the same whether
they come back from a command or from a query."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from infra.accounts import User
from infra.images import image_url


class ImageOut(BaseModel):
    id: UUID
    url: str
    thumbnail_url: str
    width: int
    height: int
    content_type: str

    @classmethod
    def of(
        cls,
        image_id: UUID | str,
        sha256: str,
        thumbnail_sha256: str,
        content_type: str,
        width: int,
        height: int,
        **_: object,
    ) -> ImageOut:
        """From the fields an ImageAdded event records (and the views keep)."""
        return cls(
            id=UUID(str(image_id)),
            url=image_url(sha256, content_type),
            thumbnail_url=image_url(thumbnail_sha256, content_type),
            width=width,
            height=height,
            content_type=content_type,
        )


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
    # The first image is the main one.
    images: list[ImageOut] = []


class UserOut(BaseModel):
    id: UUID
    username: str
    email: str
    role: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, username=user.username, email=user.email, role=user.role)
