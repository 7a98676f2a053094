"""Every screen URL in the accounts, victims and flags namespaces requires login and the
right role. A new URL there fails this test until it is added to ACCESS."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

VICTIM = {"counter", "approver", "nonlinkage_counter"}
LINKAGE = {"counter", "approver"}
EVERYONE = {"counter", "approver", "nonlinkage_counter", "sysadmin", "auditor"}

# url name → who gets past the gate (GET). POST-only views answer 405 to them.
ACCESS = {
    "accounts:home": EVERYONE,
    "victims:intake": VICTIM,
    "victims:search": VICTIM,
    "victims:shared": LINKAGE,
    "victims:detail": {"counter", "approver"},  # the owning department only
    "victims:confirm_procedure": {"counter", "approver"},
    "victims:release": {"counter", "approver"},
    "flags:queue": {"approver"},
    "flags:approve": {"approver"},
    "flags:reject": {"approver"},
    "flags:withdraw": {"counter", "approver"},
    "flags:check": LINKAGE,
}
PUBLIC = {"accounts:login", "accounts:logout"}
# Screens other engineers own inside these namespaces: they test their roles; here only login.
LOGIN_ONLY = {"accounts:otp_enrol", "accounts:otp_verify", "accounts:otp_reset"}
NAMESPACES = ("accounts", "victims", "flags")


def screen_urls():
    found = []

    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and namespace in NAMESPACES:
                found.append((f"{namespace}:{p.name}", prefix + str(p.pattern)))
    walk(get_resolver().url_patterns, None, "/")
    return found


def concrete(route: str, ids: dict) -> str:
    for key, value in ids.items():
        route = route.replace(f"<int:{key}>", str(value))
    assert "<" not in route, route
    return route


def test_every_screen_url_is_in_the_access_table():
    names = {name for name, _ in screen_urls()}
    missing = names - set(ACCESS) - PUBLIC - LOGIN_ONLY
    assert not missing, f"add these URLs to ACCESS with their roles: {sorted(missing)}"


@pytest.fixture
def staff_by_role(counter, approver, nonlinkage_counter, sysadmin, auditor):
    return {"counter": counter, "approver": approver, "nonlinkage_counter": nonlinkage_counter,
            "sysadmin": sysadmin, "auditor": auditor}


def test_every_screen_requires_login_and_the_right_role(client, login, staff_by_role, register, approver2):
    target, change_request = register(approver2)  # in 子ども家庭支援課, requested by someone else
    ids = {"pk": target.pk, "case_id": target.cases.get().pk}
    for name, route in screen_urls():
        if name in PUBLIC:
            continue
        url = concrete(route, ids if not name.startswith("flags:") else {"pk": change_request.pk})
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"], name
        if name in LOGIN_ONLY:
            continue
        for role, staff in staff_by_role.items():
            client_as = login(staff)
            status = client_as.get(url).status_code
            if role in ACCESS[name]:
                assert status in (200, 405), f"{role} should reach {name}, got {status}"
                continue
            if status == 405:  # POST-only: the object-level refusal shows on POST
                status = client_as.post(url).status_code
            assert status in (403, 404), f"{role} must not reach {name}, got {status}"
    change_request.refresh_from_db()
    assert change_request.status == "pending"  # no refused POST changed anything
