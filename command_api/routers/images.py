"""Product images (admins only): upload one (multipart field `file`), or take one away.

The upload route has its own body limit, IMAGE_UPLOAD_LIMIT (an image of up to 5 MB plus
the multipart envelope), larger than the general request limit: it reads the body itself
and stops at that many bytes with 413. Decoding, resizing and storing the files run in a
worker thread (Pillow and the S3 client block); only then is ImageAdded recorded, so an
event never names a file that is not stored.
"""

from __future__ import annotations

from uuid import UUID, uuid4

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, Response
from starlette.datastructures import UploadFile

from command_api.routers.products import product_out
from domain.products import Product
from infra.images import (
    MAX_IMAGE_BYTES,
    ImageRejected,
    ImageTooLarge,
    process_image,
    store_image,
)
from infra.services import Services
from web.app import ServicesDep
from web.auth import AdminUser
from web.errors import ErrorOut, InvalidInput
from web.headers import set_position
from web.schemas import ProductOut

router = APIRouter(tags=["catalog"])

# The multipart envelope (boundaries, part headers, a file name) around the image's bytes.
IMAGE_UPLOAD_LIMIT = MAX_IMAGE_BYTES + 64 * 1024
_TOO_LARGE = f"an image may have at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB"


async def _read_body(request: Request) -> None:
    """Read the request body up to IMAGE_UPLOAD_LIMIT (413 beyond) and keep it for the form
    parser, so a huge upload is refused without being spooled anywhere."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > IMAGE_UPLOAD_LIMIT:
        raise HTTPException(413, _TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > IMAGE_UPLOAD_LIMIT:
            raise HTTPException(413, _TOO_LARGE)
    request._body = bytes(body)  # what Request.stream() and .form() read from now on


def _add_image(services: Services, product_id: UUID, raw: bytes) -> tuple[Product, int]:
    services.shop.load(Product, product_id)  # 404 before the work for an unknown product
    try:
        image = process_image(raw)
    except ImageTooLarge:
        raise HTTPException(413, _TOO_LARGE) from None
    except ImageRejected as error:
        raise InvalidInput("file", str(error)) from None
    store_image(services.images, image)
    return services.shop.add_product_image(product_id, uuid4(), **image.event_fields())


@router.post(
    "/products/{product_id}/images",
    status_code=201,
    response_model=ProductOut,
    responses={413: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_image(
    product_id: UUID,
    request: Request,
    admin: AdminUser,
    services: ServicesDep,
    response: Response,
) -> ProductOut:
    """A JPEG, PNG or WebP image of at most 5 MB; the product answers with it last."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("file", "send the image as multipart/form-data, in the field 'file'")
    await _read_body(request)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception:  # the multipart parser's own errors: a malformed body
        raise HTTPException(400, "the multipart body could not be read") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("file", "send the image in the multipart field 'file'")
        raw = await upload.read()
    finally:
        await form.close()
    product, position = await anyio.to_thread.run_sync(_add_image, services, product_id, raw)
    set_position(response, position)
    return product_out(product)


@router.delete("/products/{product_id}/images/{image_id}", status_code=204, response_class=Response)
def delete_image(
    product_id: UUID, image_id: UUID, admin: AdminUser, services: ServicesDep
) -> Response:
    """The product stops showing the image; its files stay (events and time travel name
    them, and another product may show the same bytes)."""
    response = Response(status_code=204)
    set_position(response, services.shop.remove_product_image(product_id, image_id))
    return response
