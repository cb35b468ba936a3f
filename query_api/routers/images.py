"""Product images by content address: GET /images/{sha256}.{ext}.

A name is the SHA-256 of the bytes it serves, so the answer can be cached for a year and
never revalidated (`immutable`). The store may block (files, S3): each read runs in a
worker thread.
"""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, Response

from infra.images import CACHE_CONTROL, CONTENT_TYPES, NAME
from web.app import ServicesDep

router = APIRouter(tags=["catalog"])


@router.get(
    "/images/{name}",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in CONTENT_TYPES.values()}, "description": "the image"},
        304: {"description": "the client's copy is this image"},
    },
)
async def get_image(name: str, request: Request, services: ServicesDep) -> Response:
    if NAME.match(name) is None:
        raise HTTPException(404, "image not found")
    sha256, extension = name.split(".")
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": f'"{sha256}"'}
    if request.headers.get("if-none-match", "").strip('W/"') == sha256:
        return Response(status_code=304, headers=headers)
    data = await anyio.to_thread.run_sync(services.images.get, name)
    if data is None:
        raise HTTPException(404, "image not found")
    return Response(data, media_type=CONTENT_TYPES[extension], headers=headers)
