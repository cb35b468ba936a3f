"""The access token lives in the storefront's memory; the sign-in session in an httpOnly,
SameSite=Strict cookie scoped to POST /auth/refresh. Logging out revokes both."""

from __future__ import annotations

import httpx

from infra.settings import Settings
from tests.support.servers import ShopUnderTest, start_shop


def fresh_client(shop: ShopUnderTest) -> httpx.Client:
    return httpx.Client(base_url=shop.url, timeout=30)


def test_login_sets_a_strict_httponly_refresh_cookie_that_renews_the_access_token(
    shop: ShopUnderTest,
) -> None:
    account = shop.register()
    with fresh_client(shop) as browser:
        login = browser.post(
            "/login", json={"username": account["username"], "password": account["password"]}
        )
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"]
        for attribute in ("shop_refresh=", "HttpOnly", "SameSite=strict", "Path=/auth/refresh"):
            assert attribute.lower() in cookie.lower(), cookie
        assert "secure" not in cookie.lower()  # plain HTTP here; Secure when served over HTTPS
        assert "shop_refresh" not in login.text  # never in the body, where scripts could read it

        # A reload: memory is gone, the cookie is not.
        renewed = browser.post("/auth/refresh")
        assert renewed.status_code == 200, renewed.text
        token = renewed.json()["access_token"]
        me = browser.get("/protected", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["username"] == account["username"]

        # The refresh token is no access token, and an access token no refresh token.
        refresh_token = browser.cookies["shop_refresh"]
        wrong = browser.get("/protected", headers={"Authorization": f"Bearer {refresh_token}"})
        assert wrong.status_code == 401
    with fresh_client(shop) as stranger:
        assert stranger.post("/auth/refresh").status_code == 401  # no cookie
        stranger.cookies.set("shop_refresh", token, path="/auth/refresh")
        assert stranger.post("/auth/refresh").status_code == 401


def test_logout_revokes_the_access_token_and_the_session(shop: ShopUnderTest) -> None:
    account = shop.register()
    with fresh_client(shop) as browser:
        first = browser.post(
            "/login", json={"username": account["username"], "password": account["password"]}
        ).json()["access_token"]
        second = browser.post("/auth/refresh").json()["access_token"]  # same session
        out = browser.post("/logout", headers={"Authorization": f"Bearer {first}"})
        assert out.status_code == 204
        assert "shop_refresh" not in browser.cookies  # the cookie is cleared
        for token in (first, second):
            me = browser.get("/protected", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401, me.text
    # The session's refresh token is refused even when presented again.
    with fresh_client(shop) as browser:
        login = browser.post(
            "/login", json={"username": account["username"], "password": account["password"]}
        )
        stolen = browser.cookies["shop_refresh"]
        access = login.json()["access_token"]
        out = browser.post("/logout", headers={"Authorization": f"Bearer {access}"})
        assert out.status_code == 204
    with fresh_client(shop) as thief:
        thief.cookies.set("shop_refresh", stolen, path="/auth/refresh")
        assert thief.post("/auth/refresh").status_code == 401


def test_the_cookie_is_secure_behind_a_trusted_https_proxy(settings: Settings) -> None:
    for trusted, secure in ((False, False), (True, True)):
        with start_shop(
            settings.model_copy(update={"trusted_proxy": trusted}), worker=False
        ) as shop:
            account = shop.register()
            login = shop.http.post(
                "/login",
                json={"username": account["username"], "password": account["password"]},
                headers={"X-Forwarded-Proto": "https"},
            )
            assert login.status_code == 200
            assert ("secure" in login.headers["set-cookie"].lower()) is secure
