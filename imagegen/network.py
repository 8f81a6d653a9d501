"""How the bot reaches Discord and the image API: directly, through an HTTP proxy, or through a SOCKS proxy."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from aiohttp_socks import ProxyConnector

# Each SOCKS scheme as python-socks knows it, and whether the proxy resolves names: as in curl, socks5h and socks4a
# send the name to the proxy, socks5 and socks4 resolve it on this machine first.
SOCKS_SCHEMES = {"socks4": ("socks4", False), "socks4a": ("socks4", True), "socks5": ("socks5", False),
                 "socks5h": ("socks5", True)}  # fmt: skip
PROXY_SCHEMES = ("http", "https", *SOCKS_SCHEMES)


def proxy_options(proxy: str | None) -> dict[str, Any]:
    """Keyword arguments that send an ``aiohttp.ClientSession`` or a ``discord.Client`` through ``proxy``.

    Both take the same two: an HTTP proxy as ``proxy`` (credentials in its URL), a SOCKS proxy as the
    ``connector``. Call it inside the running event loop (a connector belongs to one).
    """
    if proxy is None:
        return {}
    parts = urlsplit(proxy)
    if parts.scheme in SOCKS_SCHEMES:
        scheme, remote_names = SOCKS_SCHEMES[parts.scheme]
        # python-socks reads only socks4:// and socks5:// URLs: who resolves names is its rdns argument.
        url = urlunsplit(parts._replace(scheme=scheme))
        return {"connector": ProxyConnector.from_url(url, rdns=remote_names)}
    # aiohttp reads the credentials of an HTTP proxy from its URL (its proxy_auth is deprecated).
    return {"proxy": proxy}


def proxy_secrets(*proxies: str | None) -> list[str]:
    """The passwords in proxy URLs, to keep out of every log line."""
    found = []
    for proxy in proxies:
        if proxy is None:
            continue
        parts = urlsplit(proxy)
        if parts.password:
            found += [parts.password, unquote(parts.password)]
    return found


def shown(proxy: str) -> str:
    """A proxy URL fit for a log line: without its credentials."""
    parts = urlsplit(proxy)
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, "", "", ""))


def image_api_options(proxy: str | None) -> dict[str, Any]:
    """How the image API is reached: through ``proxy`` (IMAGE_API_PROXY), else as HTTPS_PROXY / NO_PROXY say."""
    return proxy_options(proxy) if proxy else {"trust_env": True}


def via(proxy: str | None, name: str) -> str:
    """ " through NAME http://host:port" for a log line about a connection through ``proxy``, else ""."""
    return f" through {name} {shown(proxy)}" if proxy else ""
