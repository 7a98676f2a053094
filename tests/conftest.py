import datetime
import io
import itertools
import os

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, Staff
from accounts.services import department_create, staff_create
from core.normalize import normalize_atena_no
from flags.models import ChangeRequest
from victims.intake import parse_intake
from victims.services import target_register

PASSWORD = "test-pass-123456"
# The suite runs on the demo's throwaway secrets; every process it starts (worker, beat, gunicorn,
# manage.py) inherits the declaration, or it would refuse to start (ADR 0062). `make test` sets it
# for this process too; the refusals themselves are tested with it cleared (tests/test_startup_checks.py).
os.environ.setdefault("DEMO_MODE", "1")
_atena_seq = itertools.count(1)


def verify_second_factor(client, user) -> None:
    """Mark `client`'s session as having passed TOTP for `user` (any Client or APIClient)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


class VerifiedClient(Client):
    """A test client whose logins have also passed the second factor (a confirmed TOTP
    device), as a staff member's would. The second factor itself is tested in
    tests/test_two_factor.py with a plain Client."""

    def _verify(self, user):
        verify_second_factor(self, user)

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        self._verify(user)

    def login(self, **credentials):
        ok = super().login(**credentials)
        if ok:
            self._verify(Staff.objects.get(username=credentials["username"]))
        return ok


@pytest.fixture
def client():
    return VerifiedClient()


FROZEN_NOW_ENV = "TEST_FROZEN_NOW"


def pytest_addoption(parser):
    parser.addoption(
        "--frozen-now", default=os.environ.get(FROZEN_NOW_ENV, ""), metavar="ISO",
        help="run every test as if the clock said ISO (e.g. 2027-03-01T00:10+09:00), ticking on from "
             f"there (time_machine, tick=True); also ${FROZEN_NOW_ENV}. Guards against tests that only pass on "
             "some dates (tests/test_no_wall_clock.py runs the date-sensitive modules under two such dates).",
    )


@pytest.fixture(autouse=True)
def _frozen_now(request):
    """With --frozen-now, this test's process runs at that moment. First among the function
    fixtures (autouse, and requested before the others below), so the objects they make are
    made then too. A test's own time_machine.travel nests inside it. Subprocesses (Celery
    worker, emulator) are not travelled: they follow INTERMEDIARY_CLOCK_FILE."""
    value = request.config.getoption("--frozen-now")
    if not value:
        yield None
        return
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise pytest.UsageError("--frozen-now needs a UTC offset, e.g. 2027-03-01T00:10+09:00")
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _anchor_sink_per_test(settings, tmp_path, monkeypatch):
    """Anchors and verification results a test writes outside the database go to a file of
    that test (never the repository's var/, never another test's: the file belongs to one
    database), and not to the machine's syslog. Subprocesses inherit it through the environment."""
    path = str(tmp_path / "audit-anchors.jsonl")
    settings.AUDIT_ANCHOR_SINK_FILE, settings.AUDIT_ANCHOR_SINKS = path, ["audit.sinks.FileSink"]
    monkeypatch.setenv("AUDIT_ANCHOR_SINK_FILE", path)
    monkeypatch.setenv("AUDIT_ANCHOR_SINKS", "audit.sinks.FileSink")


@pytest.fixture
def live_db(transactional_db):
    """A transactional database for tests that need real commits (threads, subprocesses,
    live server). The audit log refuses TRUNCATE, so the flush that empties the database
    after the test runs with triggers off (session_replication_role, superuser only);
    Django closes the connection after its flush, so no later test inherits that setting."""
    yield
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")


def new_atena() -> str:
    return f"{next(_atena_seq) + 100000000000000:015d}"


@pytest.fixture
def departments(db):
    return {
        code: department_create(actor=None, code=code, name=name, does_linkage=linkage)
        for code, name, linkage in [
            ("kodomo", "子ども家庭支援課", True),
            ("zeimu", "税務課", True),
            ("koho", "広報課", False),
            ("johosys", "情報システム課", False),
            ("kansa", "監査室", False),
        ]
    }


@pytest.fixture
def make_staff(departments):
    def make(username, department_code, role):
        return staff_create(actor=None, username=username, department_code=department_code, role=role,
                            password=PASSWORD)
    return make


@pytest.fixture
def counter(make_staff):
    return make_staff("counter1", "kodomo", Role.COUNTER)


@pytest.fixture
def approver(make_staff):
    return make_staff("approver1", "kodomo", Role.APPROVER)


@pytest.fixture
def approver2(make_staff):
    return make_staff("approver2", "kodomo", Role.APPROVER)


@pytest.fixture
def other_counter(make_staff):
    """Counter staff of another linkage department."""
    return make_staff("zeimu1", "zeimu", Role.COUNTER)


@pytest.fixture
def other_approver(make_staff):
    return make_staff("zeimu_head", "zeimu", Role.APPROVER)


@pytest.fixture
def nonlinkage_counter(make_staff):
    return make_staff("koho1", "koho", Role.COUNTER)


@pytest.fixture
def sysadmin(make_staff):
    return make_staff("sysadmin1", "johosys", Role.SYSADMIN)


@pytest.fixture
def auditor(make_staff):
    return make_staff("auditor1", "kansa", Role.AUDITOR)


def system_client_key(code: str, department: str, *scopes: str) -> str:
    """A system client made with the operator command, as an operator would; returns its key
    (the last word of the output, shown once)."""
    args = ["create_system_client", "--code", code, "--name", f"{code} system", "--department", department]
    for scope in scopes:
        args += ["--scope", scope]
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().split()[-1]


def intake_payload(**overrides) -> dict:
    payload = {
        "atena_no": new_atena(),
        "name": "山田　花子",
        "name_kana": "ヤマダ　ハナコ",
        "birth_date": "1990-04-01",
        "harm_types": ["dv"],
        "fled": True,
        "basis": "request",
        "jumin_support": {"active": False},
        "cases": [{"type": "2-I", "card_left": True}],
        "explanations": {"mynaportal": True, "card_suspension": True},
    }
    payload.update(overrides)
    return payload


def register_via_api(client, **overrides) -> dict:
    """Register through POST /api/v1/targets/ as a counter would: the answer is a receipt
    (202, ADR 0015), so the new target is found in the department's own list
    (GET /api/v1/targets/, newest first, one page). Returns the target id, its set request and the receipt."""
    payload = intake_payload(**overrides)
    response = client.post("/api/v1/targets/", payload, format="json")
    assert response.status_code == 202, response.json()
    atena_no = normalize_atena_no(payload["atena_no"])
    target_id = next(t["id"] for t in client.get("/api/v1/targets/").json()["results"] if t["atena_no"] == atena_no)
    change_request = ChangeRequest.objects.get(target_id=target_id)
    return {"id": target_id, "change_request": {"id": change_request.pk, "status": change_request.status},
            "registration": response.json()["registration"]}


@pytest.fixture
def register():
    """Register a target as `actor`; returns (target, change_request)."""
    def do(actor, **overrides):
        data = parse_intake(intake_payload(**overrides), today=timezone.localdate())
        return target_register(actor=actor, data=data)
    return do


@pytest.fixture
def today():
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def born_aged(years: int) -> str:
    """An ISO birth date that makes the person `years` old today (Japan time) and for months
    to come, so a minor stays a minor whatever year the suite runs in (DOMAIN.md: 18 is the
    age at which a parent stops being the legal representative)."""
    today = timezone.localdate()
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - years, day=28)
    return (anniversary - datetime.timedelta(days=30)).isoformat()


@pytest.fixture
def web(client):
    """A session client signed in as the given staff member (screen tests)."""
    def as_(staff):
        client.force_login(staff)
        return client
    return as_
