"""Rate limit for anonymous API clients, per client IP, counted in the Django cache.

``settings.API_ANONYMOUS_RATE`` ("120/m" by default; units s, m, h, d) is read on every
request, so it can change without a restart of the code. Fixed windows: the counter for the
current window is created with ``cache.add`` and bumped with ``cache.incr``, both atomic on
Redis and on the local-memory cache, so concurrent workers cannot overrun the limit.
Signed-in users are not limited here.
"""

from __future__ import annotations

import ipaddress
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/m" -> (120, 60); "10/5m" -> (10, 300)."""
    count, _sep, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :].strip().lower()
    if unit not in PERIODS or not count.strip().isdigit():
        raise ValueError(f"API_ANONYMOUS_RATE invalide : {rate!r} (exemple : 120/m)")
    return int(count), PERIODS[unit] * (int(digits) if digits else 1)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind ``settings.API_NUM_PROXIES`` trusted proxies (environment:
    TRUSTED_PROXY_COUNT) the address the farthest one saw, read from X-Forwarded-For.

    With no trusted proxy the header is ignored: any client could write it.
    """
    proxies = int(getattr(settings, "API_NUM_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if len(addresses) >= proxies:
            try:
                return str(ipaddress.ip_address(addresses[-proxies]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR", "") or "inconnu"


class AnonymousRateThrottle(BaseThrottle):
    cache_prefix = "api:throttle:anon"

    def __init__(self) -> None:
        self._state = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return True
        rate = getattr(settings, "API_ANONYMOUS_RATE", "120/m")
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"{self.cache_prefix}:{client_ip(request)}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            hits = 1
        self._state.wait = (window + 1) * period - now
        return hits <= limit

    def wait(self) -> float | None:
        return getattr(self._state, "wait", None)
