"""Walks the whole URLconf: every route, screen or API, refuses an anonymous caller.

A new URL is covered automatically; the only public routes are listed below and a
route added there must be justified in review. Role, department and object-state checks
per route are in the authorization matrix (docs/security/authz_matrix.csv, read by
tests/security/test_authz_matrix.py)."""
import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# The probes answer anyone and carry no data (ADR 0052). /metrics needs no login but a bearer
# token, and is a 404 for everyone else (ADR 0065; tests/test_metrics.py).
PUBLIC = {"accounts:login", "healthz", "readyz", "metrics"}
SAMPLE = {"int": "1", "str": "x", "uuid": str(uuid.UUID(int=1)), "slug": "x", "path": "x"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}", prefix + str(p.pattern)


def _concrete(route: str) -> str:
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
    route = route.lstrip("^").rstrip("$").replace("\\.", ".")
    return "/" + route


ROUTES = sorted(set(_walk(get_resolver().url_patterns)))


def test_the_walk_finds_every_area():
    names = {n for n, _ in ROUTES}
    for expected in ("home", "victims:intake", "checks:single", "audit:events", "intermediary:monitor"):
        assert expected in names
    assert any(route.startswith("api/v1/") for _, route in ROUTES)


@pytest.mark.parametrize("name, route", [r for r in ROUTES if r[0] not in PUBLIC])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_refused(db, name, route, method):
    response = getattr(Client(), method)(_concrete(route))
    if route.startswith("api/"):
        assert response.status_code in (401, 403, 405), (name, response.status_code)
    else:
        assert response.status_code in (302, 405), (name, response.status_code)
        if response.status_code == 302:
            assert "/login/" in response["Location"], (name, response["Location"])
