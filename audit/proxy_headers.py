"""What the network in front of us may tell us about a request: the client's address and the
request id. Both come from headers anyone can send, so they are believed only when the request
reached us from a configured trusted proxy (settings.TRUSTED_PROXIES, IPs or CIDRs; empty by
default: no header is believed). The one place that decides it, used by the audit context,
by django-axes (AXES_CLIENT_IP_CALLABLE) and so by the lockout and the anomaly views."""
import functools
import ipaddress
import re
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# A proxy's id (nginx $request_id: 32 hex; a UUID with dashes) or ours (uuid4 hex); nothing that
# could carry markup, a line break or a CSV formula into the log and its exports.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc


def _address(value: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    # An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.1) is the IPv4 address.
    plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address
    return any(plain in net for net in networks)


def from_trusted_proxy(request: HttpRequest) -> bool:
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    return remote is not None and _trusted(remote)


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, unless that is a trusted proxy: then the right-most address of
    X-Forwarded-For that is not a trusted proxy (each proxy appends the address it saw, so
    everything left of the first untrusted hop was written by the client and proves nothing).
    A hop that is not an address stops the walk at the last trusted one."""
    remote = request.META.get("REMOTE_ADDR", "")
    current = _address(remote)
    if current is None or not _trusted(current):
        return remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _trusted(address):
            break
    return str(current)


def request_id(request: HttpRequest) -> str:
    """The proxy's X-Request-ID (so one id follows a request through the proxy's log and ours),
    if a trusted proxy sent it and it has the shape of an id; otherwise a new one."""
    sent = request.headers.get("X-Request-ID", "")
    if sent and from_trusted_proxy(request) and _REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex
