"""How the bot reaches Discord and the image API: directly, through an HTTP proxy, or through a SOCKS proxy."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
import aiohttp_socks
import python_socks
from aiohttp_socks import ProxyConnector

from ..errors import BadUpstreamResponse, UpstreamTimeout, UpstreamUnavailable

# Each SOCKS scheme as python-socks knows it, and whether the proxy resolves names: as in curl, socks5h and socks4a
# send the name to the proxy, socks5 and socks4 resolve it on this machine first.
SOCKS_SCHEMES = {"socks4": ("socks4", False), "socks4a": ("socks4", True), "socks5": ("socks5", False),
                 "socks5h": ("socks5", True)}  # fmt: skip
PROXY_SCHEMES = ("http", "https", *SOCKS_SCHEMES)
# What a SOCKS proxy that is down, slow or refusing raises: aiohttp-socks' own errors (none of them aiohttp's or an
# OSError), and python-socks' underneath.
SOCKS_ERRORS = (
    aiohttp_socks.ProxyConnectionError, aiohttp_socks.ProxyError, aiohttp_socks.ProxyTimeoutError,
    python_socks.ProxyConnectionError, python_socks.ProxyError, python_socks.ProxyTimeoutError,
)  # fmt: skip


@contextlib.contextmanager
def transport_errors(proxy: str | None, limits: aiohttp.ClientTimeout) -> Iterator[None]:
    """Turn what a request to the image API raises on the way into the domain's errors: unreachable (nothing ran,
    safe to try again), no answer in time, or a connection that failed after the request was sent (it may have
    run, so it is not tried again)."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as error:
        raise UpstreamUnavailable(f"connect timed out: {error}") from error
    except (aiohttp.ClientConnectorError, aiohttp.ClientHttpProxyError, *SOCKS_ERRORS) as error:
        # Nothing reached the API (the proxy before it failed, or the connection did): safe to try again.
        raise UpstreamUnavailable(failure(error, proxy)) from error
    except TimeoutError as error:
        raise UpstreamTimeout(f"no answer within {limits.total}s") from error
    except aiohttp.ClientPayloadError as error:
        raise BadUpstreamResponse(f"truncated answer: {error}") from error
    except aiohttp.ClientError as error:
        # The request was sent: it may have run, so this is not retried.
        raise BadUpstreamResponse(f"connection failed: {failure(error)}") from error


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
    """The passwords in proxy URLs, and the Basic credentials an HTTP proxy is sent, to keep out of every log line."""
    found = []
    for proxy in proxies:
        if proxy is None:
            continue
        parts = urlsplit(proxy)
        if parts.password:
            user, password = parts.username or "", parts.password
            found += [password, unquote(password)]
            # What a Proxy-Authorization header holds: aiohttp sends the URL's credentials decoded.
            found.append(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())
    return found


def environment_proxies() -> list[str]:
    """The proxies HTTPS_PROXY, HTTP_PROXY and the like name now (aiohttp reads them when it sends a request)."""
    return [proxy for kind, proxy in urllib.request.getproxies().items() if kind != "no"]


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


def failure(error: BaseException, proxy: str | None = None) -> str:
    """Why a connection through ``proxy`` (or direct) failed, in a few words fit for a log line.

    Never the error's repr: aiohttp's proxy errors carry the request's headers (Proxy-Authorization among them)
    and the proxy's URL with its password.
    """
    if isinstance(error, aiohttp.ClientHttpProxyError):
        answer = f"{error.status} {error.message}".strip()
        if error.status == 407:
            return f"the proxy refused the credentials ({answer})"
        return f"the proxy answered {answer}"
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return f"cannot connect to the proxy ({_reason(error.os_error)})"
    if isinstance(error, (aiohttp_socks.ProxyConnectionError, python_socks.ProxyConnectionError)):
        return f"cannot connect to the proxy ({_reason(error.__cause__ or error)})"
    if isinstance(error, (aiohttp_socks.ProxyTimeoutError, python_socks.ProxyTimeoutError)):
        return "the proxy did not answer in time"
    if isinstance(error, (aiohttp_socks.ProxyError, python_socks.ProxyError)):
        return f"the proxy answered: {error}"
    if isinstance(error.__cause__, socket.gaierror) or isinstance(error, socket.gaierror):
        name = error.host if isinstance(error, aiohttp.ClientConnectorError) else "the name"
        scheme = urlsplit(proxy).scheme if proxy else ""
        if scheme in ("socks5", "socks4"):
            # socks5:// and socks4:// look the name up on this machine, whose DNS may not know it; the proxy may.
            remote = "socks5h" if scheme == "socks5" else "socks4a"
            return f"this machine cannot resolve {name}: {remote}:// has the proxy resolve it"
        return f"cannot resolve {name}"
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect to {error.host}:{error.port} ({_reason(error.os_error)})"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return str(error) or type(error).__name__


def _reason(error: BaseException) -> str:
    """An OS error as its system message ("Connection refused"), else as it says itself."""
    number = getattr(error, "errno", None)
    if isinstance(number, int) and number > 0:
        return os.strerror(number)
    return str(error) or type(error).__name__
