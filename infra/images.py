"""Product images: checked and re-encoded with Pillow, stored by the SHA-256 of their bytes.

An upload is decoded (only JPEG, PNG and WebP), turned upright, shrunk to at most
MAIN_EDGE pixels and re-encoded in its own format, which also drops its metadata (a
phone's GPS position stays out of the shop); a thumbnail of at most THUMBNAIL_EDGE is made
beside it. Both are stored under their content hash, so a stored name never changes
meaning: the query side serves them with a one-year immutable cache lifetime. Events record
the hashes and the metadata, never the bytes.

The store is a directory (IMAGE_DIR, under ./var by default) or, when IMAGE_BUCKET names
one, an S3-compatible bucket (boto3; IMAGE_S3_ENDPOINT_URL for a non-AWS server).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from infra.settings import Settings

# Per upload; the route reads no more than this (plus the multipart envelope).
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Decoding cost is by pixels, not bytes: a small PNG can claim 100,000 x 100,000.
MAX_IMAGE_PIXELS = 40_000_000
MAIN_EDGE = 1600
THUMBNAIL_EDGE = 400
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
CONTENT_TYPES = {extension: content_type for content_type, extension in FORMATS.values()}
EXTENSIONS = {content_type: extension for content_type, extension in FORMATS.values()}
# A stored image's name: its hash and extension (what the URL carries).
NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp)$")
CACHE_CONTROL = "public, max-age=31536000, immutable"


class ImageRejected(ValueError):
    """Not an image the shop takes (wrong type, unreadable, too many pixels): HTTP 422."""


class ImageTooLarge(ValueError):
    """More bytes than MAX_IMAGE_BYTES: HTTP 413."""


@dataclass(frozen=True)
class ProcessedImage:
    content_type: str
    extension: str
    width: int
    height: int
    data: bytes
    thumbnail: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def thumbnail_sha256(self) -> str:
        return hashlib.sha256(self.thumbnail).hexdigest()

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"

    @property
    def thumbnail_name(self) -> str:
        return f"{self.thumbnail_sha256}.{self.extension}"

    def event_fields(self) -> dict[str, Any]:
        """What the ImageAdded event records."""
        return {
            "sha256": self.sha256,
            "thumbnail_sha256": self.thumbnail_sha256,
            "content_type": self.content_type,
            "width": self.width,
            "height": self.height,
            "size": len(self.data),
        }


def image_url(sha256: str, content_type: str) -> str:
    """Where the query side serves a stored image (content-addressed: cacheable for ever)."""
    return f"/images/{sha256}.{EXTENSIONS[content_type]}"


def process_image(raw: bytes) -> ProcessedImage:
    """Check an upload and make the stored image and its thumbnail."""
    if len(raw) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"an image may have at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format or ""
            width, height = probe.size
        if kind not in FORMATS:
            raise ImageRejected(f"{kind or 'this file'} is not accepted: send JPEG, PNG or WebP")
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageRejected(f"the image has more than {MAX_IMAGE_PIXELS:,} pixels")
        with Image.open(io.BytesIO(raw)) as opened:
            opened.load()
            upright = ImageOps.exif_transpose(opened)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageRejected("not a readable JPEG, PNG or WebP image") from None
    content_type, extension = FORMATS[kind]
    main = _fit(upright, MAIN_EDGE)
    thumbnail = _fit(upright, THUMBNAIL_EDGE)
    return ProcessedImage(
        content_type=content_type,
        extension=extension,
        width=main.width,
        height=main.height,
        data=_encode(main, kind),
        thumbnail=_encode(thumbnail, kind),
    )


def _fit(image: Image.Image, edge: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return copy


def _encode(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    elif kind == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


# -- where the bytes live --------------------------------------------------------------------


class ImageStore(Protocol):
    def put(self, name: str, data: bytes, content_type: str) -> None: ...

    def get(self, name: str) -> bytes | None: ...


class DiskImageStore:
    """A directory of content-addressed files (written whole, then renamed into place)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, name: str, data: bytes, content_type: str) -> None:
        target = self.root / name
        if target.exists():
            return  # same name, same bytes
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except FileNotFoundError:
            return None


class S3ImageStore:
    """A bucket of an S3-compatible object store; credentials come from boto3's usual chain
    (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, or an instance role)."""

    def __init__(
        self, bucket: str, endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
            ),
        )

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=name,
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )

    def get(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body


def image_store_for(settings: Settings) -> ImageStore:
    if settings.image_bucket:
        return S3ImageStore(
            settings.image_bucket, settings.image_s3_endpoint_url, settings.image_s3_region
        )
    return DiskImageStore(Path(settings.image_dir))


def store_image(store: ImageStore, image: ProcessedImage) -> None:
    """Both files, thumbnail first: once the event names them, both can be served."""
    store.put(image.thumbnail_name, image.thumbnail, image.content_type)
    store.put(image.name, image.data, image.content_type)
