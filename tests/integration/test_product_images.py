"""Product images over real HTTP on both backends: upload (JPEG, PNG, WebP), validation,
resizing and thumbnails, content-addressed URLs with immutable caching, removal; stored on
disk by default and in an S3-compatible bucket (moto's server, a real process) when a
setting names one."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from PIL import Image

from domain.products import Product
from infra.images import CACHE_CONTROL, MAX_IMAGE_BYTES, THUMBNAIL_EDGE
from infra.settings import Settings
from tests.support.s3 import CREDENTIALS, s3_server
from tests.support.servers import ShopUnderTest, start_shop


def picture(kind: str = "JPEG", size: tuple[int, int] = (2400, 1200), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind, **save)
    return out.getvalue()


def upload(
    shop: ShopUnderTest,
    product_id: str,
    data: bytes,
    content_type: str = "image/jpeg",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return shop.http.post(
        f"/products/{product_id}/images",
        files={"file": ("photo", data, content_type)},
        headers=shop.admin() if headers is None else headers,
    )


def fetch(shop: ShopUnderTest, url: str) -> httpx.Response:
    return shop.http.get(url, headers={"Accept": "image/avif,image/webp,*/*"})


def test_upload_resizes_makes_a_thumbnail_and_serves_it_immutably(shop: ShopUnderTest) -> None:
    product = shop.create_product(name="Teapot").json()
    answer = upload(shop, product["id"], picture("JPEG"))
    assert answer.status_code == 201, answer.text
    assert int(answer.headers["X-Event-Position"]) > 0
    [image] = answer.json()["images"]
    assert (image["width"], image["height"], image["content_type"]) == (1600, 800, "image/jpeg")

    served = fetch(shop, image["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == CACHE_CONTROL
    sha = hashlib.sha256(served.content).hexdigest()
    assert image["url"] == f"/images/{sha}.jpg"  # content-addressed
    with Image.open(io.BytesIO(served.content)) as stored:
        assert stored.size == (1600, 800)
    thumbnail = fetch(shop, image["thumbnail_url"])
    assert thumbnail.status_code == 200
    with Image.open(io.BytesIO(thumbnail.content)) as small:
        assert max(small.size) == THUMBNAIL_EDGE
    again = shop.http.get(image["url"], headers={"If-None-Match": f'"{sha}"'})
    assert again.status_code == 304
    assert again.headers["cache-control"] == CACHE_CONTROL

    # The catalog, the product page and the event carry it; the event has no bytes.
    listed = shop.read("/products", after=answer).json()["items"][0]
    assert listed["images"] == [image]
    page = shop.read(f"/products/{product['id']}", after=answer).json()
    assert page["images"] == [image]
    stored_product = shop.services.shop.load(Product, uuid.UUID(product["id"]))
    assert stored_product.images[0]["sha256"] == sha
    assert max(len(str(value)) for value in stored_product.images[0].values()) < 100


def test_png_and_webp_keep_their_type_and_order(shop: ShopUnderTest) -> None:
    product = shop.create_product().json()
    first = upload(shop, product["id"], picture("PNG", (300, 200)), "image/png")
    assert first.status_code == 201, first.text
    second = upload(shop, product["id"], picture("WEBP", (200, 300)), "image/webp")
    assert second.status_code == 201, second.text
    images = shop.read(f"/products/{product['id']}", after=second).json()["images"]
    assert [i["content_type"] for i in images] == ["image/png", "image/webp"]
    assert [(i["width"], i["height"]) for i in images] == [(300, 200), (200, 300)]
    assert images[0]["url"].endswith(".png") and images[1]["url"].endswith(".webp")
    assert fetch(shop, images[1]["url"]).headers["content-type"] == "image/webp"

    removed = shop.http.delete(
        f"/products/{product['id']}/images/{images[0]['id']}", headers=shop.admin()
    )
    assert removed.status_code == 204, removed.text
    left = shop.read(f"/products/{product['id']}", after=removed).json()["images"]
    assert [i["id"] for i in left] == [images[1]["id"]]  # the WebP is the main image now
    listed = shop.read("/products", after=removed).json()["items"][0]["images"]
    assert [i["id"] for i in listed] == [images[1]["id"]]


def test_exif_orientation_is_applied_and_metadata_dropped(shop: ShopUnderTest) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the picture is portrait
    exif[0x010F] = "Camera maker"
    product = shop.create_product().json()
    answer = upload(shop, product["id"], picture("JPEG", (400, 200), exif=exif.tobytes()))
    assert answer.status_code == 201, answer.text
    image = answer.json()["images"][0]
    assert (image["width"], image["height"]) == (200, 400)
    with Image.open(io.BytesIO(fetch(shop, image["url"]).content)) as stored:
        assert stored.size == (200, 400)
        assert 0x010F not in stored.getexif()


def test_bad_uploads_are_clear_4xx(shop: ShopUnderTest) -> None:
    product = shop.create_product().json()
    pid = product["id"]
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    cases = [
        (upload(shop, pid, gif.getvalue(), "image/gif"), 422, "GIF"),
        (upload(shop, pid, b"not an image at all", "image/png"), 422, "readable"),
        (upload(shop, pid, picture("PNG")[:200], "image/png"), 422, "readable"),
        (upload(shop, pid, b"x" * (MAX_IMAGE_BYTES + 200_000)), 413, "5 MB"),
        (
            shop.http.post(f"/products/{pid}/images", json={"file": "x"}, headers=shop.admin()),
            422,
            "multipart",
        ),
        (
            shop.http.post(
                f"/products/{pid}/images",
                files={"other": ("a", picture(), "image/jpeg")},
                headers=shop.admin(),
            ),
            422,
            "file",
        ),
        (upload(shop, str(uuid.uuid4()), picture()), 404, "not found"),
        (upload(shop, pid, picture(), headers=shop.shopper()), 403, "admin"),
        (upload(shop, pid, picture(), headers={}), 401, "authenticated"),
    ]
    for answer, status, words in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert words in answer.json()["detail"], answer.text
    assert shop.services.shop.load(Product, uuid.UUID(pid)).images == []
    # Just under the limit is fine: the limit is on the image, not a round number of bytes.
    noisy = Image.frombytes("RGB", (1600, 1050), random.Random(7).randbytes(1600 * 1050 * 3))
    big = io.BytesIO()
    noisy.save(big, "PNG", compress_level=0)
    assert MAX_IMAGE_BYTES - 1_000_000 < len(big.getvalue()) <= MAX_IMAGE_BYTES
    assert upload(shop, pid, big.getvalue(), "image/png").status_code == 201


def test_too_many_pixels_are_refused_before_decoding(shop: ShopUnderTest) -> None:
    product = shop.create_product().json()
    huge = io.BytesIO()
    Image.new("1", (8000, 8000)).save(huge, "PNG")  # 64 MP in a few kB
    answer = upload(shop, product["id"], huge.getvalue(), "image/png")
    assert answer.status_code == 422, answer.text
    assert "pixels" in answer.json()["detail"]


def test_image_routes_404_and_delete_rules(shop: ShopUnderTest) -> None:
    product = shop.create_product().json()
    for name in ("nothing.jpg", "0" * 64 + ".gif", "0" * 64 + ".jpg", "../settings.py"):
        answer = fetch(shop, f"/images/{name}")
        assert answer.status_code == 404, (name, answer.text)
    unknown = shop.http.delete(
        f"/products/{product['id']}/images/{uuid.uuid4()}", headers=shop.admin()
    )
    assert unknown.status_code == 404
    added = upload(shop, product["id"], picture()).json()["images"][0]
    refused = shop.http.delete(
        f"/products/{product['id']}/images/{added['id']}", headers=shop.shopper()
    )
    assert refused.status_code == 403


@pytest.fixture
def s3_settings(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Any]]:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with s3_server() as url:
        bucket = "shop-images-" + uuid.uuid4().hex[:8]
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
        client.create_bucket(Bucket=bucket)
        yield (
            settings.model_copy(update={"image_bucket": bucket, "image_s3_endpoint_url": url}),
            client,
        )


def test_images_live_in_the_bucket_when_one_is_named(
    s3_settings: tuple[Settings, Any], tmp_path: Any
) -> None:
    settings, client = s3_settings
    with start_shop(settings, worker=True) as shop:
        product = shop.create_product().json()
        answer = upload(shop, product["id"], picture("WEBP", (500, 500)), "image/webp")
        assert answer.status_code == 201, answer.text
        image = answer.json()["images"][0]
        served = fetch(shop, image["url"])
        assert served.status_code == 200
        assert served.headers["cache-control"] == CACHE_CONTROL
    name = image["url"].rsplit("/", 1)[1]
    stored = client.get_object(Bucket=settings.image_bucket, Key=name)
    assert stored["Body"].read() == served.content
    assert stored["ContentType"] == "image/webp"
    keys = {o["Key"] for o in client.list_objects_v2(Bucket=settings.image_bucket)["Contents"]}
    assert keys == {name, image["thumbnail_url"].rsplit("/", 1)[1]}
    assert not (tmp_path / "images").exists()  # nothing on disk
