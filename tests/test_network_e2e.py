"""Operators behind a proxy: every Discord and image API request goes through the one the settings name."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from imagegen.api.network import failure, proxy_options
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.fakes.proxy import Proxy

ALICE = 500000000000000005


@pytest.fixture
async def http_proxy() -> AsyncIterator[Proxy]:
    proxy = Proxy("http", credentials=("bot", "s3cret-pass"))
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def socks_proxy() -> AsyncIterator[Proxy]:
    proxy = Proxy("socks5", credentials=("bot", "s0cks-pass"))
    await proxy.start()
    yield proxy
    await proxy.close()


async def draw_from_an_upload(fake: FakeDiscord, api: FakeImageAPI) -> None:
    """Alice draws from a reference image: REST, gateway, the CDN and the image API all take part."""
    api.then(b64_images(png()))
    upload = fake.upload("ref.png", png(32, 32))
    sent = await fake.slash("imagine", {"prompt": "through the proxy", "image": upload}, user_id=ALICE)
    await fake.wait_for(lambda: [r for r in fake.for_token(sent["token"]) if r.files])


def all_through(peers: list[int], proxy: Proxy) -> bool:
    return bool(peers) and set(peers) <= proxy.local_ports


@pytest.mark.parametrize(("discord_kind", "api_kind"), [("http", "socks5"), ("socks5", "http")])
async def test_every_request_goes_through_the_proxy_named_for_it(
    start_bot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    http_proxy: Proxy,
    socks_proxy: Proxy,
    discord_kind: str,
    api_kind: str,
) -> None:
    proxies = {"http": http_proxy, "socks5": socks_proxy}
    discord_proxy, api_proxy = proxies[discord_kind], proxies[api_kind]
    await start_bot(discord_proxy=discord_proxy.url, image_api_proxy=api_proxy.url)
    await draw_from_an_upload(fake_discord, image_api)
    assert all_through(fake_discord.peers, discord_proxy)  # REST, the gateway and the CDN
    assert all_through(image_api.peers, api_proxy)
    assert {port for _, port in discord_proxy.targets} == {fake_discord.port}
    assert {port for _, port in api_proxy.targets} == {image_api.port}
    assert image_api.edit_calls  # the reference image was read from the CDN and sent


async def test_without_image_api_proxy_the_standard_proxy_variables_apply(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, http_proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    monkeypatch.setenv("NO_PROXY", "")
    await start_bot()
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "by the environment"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    assert all_through(image_api.peers, http_proxy)
    assert not set(fake_discord.peers) & http_proxy.local_ports  # Discord has its own setting


async def test_a_proxy_that_refuses_the_credentials_is_not_passed(http_proxy: Proxy, image_api: FakeImageAPI) -> None:
    wrong = http_proxy.url.replace("s3cret-pass", "wrong")
    async with (
        aiohttp.ClientSession(**proxy_options(wrong)) as session,
        session.get(f"{image_api.url}/models") as response,
    ):
        assert response.status == 407
    assert http_proxy.refused == 1 and not image_api.peers


@pytest.mark.parametrize(("kind", "scheme"), [("socks4", "socks4"), ("socks4", "socks4a"), ("socks5", "socks5h")])
async def test_every_socks_scheme_carries_discord_and_the_image_api(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, kind: str, scheme: str
) -> None:
    proxy = Proxy(kind, credentials=("bot", "pw"), scheme=scheme)
    await proxy.start()
    try:
        await start_bot(discord_proxy=proxy.url, image_api_proxy=proxy.url)
        await draw_from_an_upload(fake_discord, image_api)
    finally:
        await proxy.close()
    assert all_through(fake_discord.peers, proxy) and all_through(image_api.peers, proxy)


@pytest.mark.parametrize(
    ("kind", "scheme", "asked"),
    [("socks5", "socks5h", "localhost"), ("socks4", "socks4a", "localhost"),
     ("socks5", "socks5", "127.0.0.1"), ("socks4", "socks4", "127.0.0.1")],
)  # fmt: skip
async def test_socks5h_and_socks4a_leave_names_to_the_proxy_socks5_and_socks4_resolve_them_here(
    image_api: FakeImageAPI, kind: str, scheme: str, asked: str
) -> None:
    proxy = Proxy(kind, scheme=scheme)
    await proxy.start()
    try:
        async with (
            aiohttp.ClientSession(**proxy_options(proxy.url)) as session,
            session.get(f"http://localhost:{image_api.port}/v1/models") as response,
        ):
            assert response.status == 200
    finally:
        await proxy.close()
    assert proxy.targets == [(asked, image_api.port)]


async def test_through_socks5_a_name_this_machine_cannot_resolve_is_said_with_a_hint_at_socks5h(
    image_api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This machine's DNS knows no *.test name; the proxy's does.
    loop = asyncio.get_running_loop()
    resolve = loop.getaddrinfo

    async def local_dns(host: Any, *args: Any, **kwargs: Any) -> Any:
        if str(host).endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return await resolve(host, *args, **kwargs)

    monkeypatch.setattr(loop, "getaddrinfo", local_dns)
    proxy = Proxy("socks5", names={"images.test": "127.0.0.1"})
    await proxy.start()
    models = f"http://images.test:{image_api.port}/v1/models"
    try:
        async with aiohttp.ClientSession(**proxy_options(proxy.url)) as session:
            with pytest.raises(aiohttp.ClientError) as caught:
                await session.get(models)
        async with (
            aiohttp.ClientSession(**proxy_options(proxy.url.replace("socks5:", "socks5h:"))) as session,
            session.get(models) as response,
        ):
            assert response.status == 200
    finally:
        await proxy.close()
    said = failure(caught.value, proxy.url)
    assert said == "this machine cannot resolve the name: socks5h:// has the proxy resolve it"
