"""The model-based test of the whole lifecycle (tests/model/lifecycle.py), on the web-service
and the XML channel. `make test` runs a few hundred steps of each (deterministic: derandomize,
no example database); `make model-long` runs MODEL_STEPS (≥ 10,000) of each and prints the
figures. The database is whichever DATABASE_URL names (PostgreSQL in `make test`; the
embedded SQLite default works too)."""
import os
import time

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis.stateful import run_state_machine_as_test

from accounts.models import Role
from intermediary import channels
from intermediary import services as intermediary_services

from .lifecycle import Counts, LifecycleMachine

STEPS_PER_RUN = 50
# A few hundred steps per channel in make test; `make model-long` sets MODEL_STEPS.
TOTAL_STEPS = int(os.environ.get("MODEL_STEPS", "300"))

hypothesis_settings.register_profile(
    "lifecycle-model",
    # 10 % more runs than TOTAL_STEPS / STEPS_PER_RUN: hypothesis ends some runs early, and the
    # long run must reach TOTAL_STEPS (the printed `steps` is the count actually run).
    max_examples=max(1, TOTAL_STEPS * 11 // (10 * STEPS_PER_RUN)),
    stateful_step_count=STEPS_PER_RUN,
    derandomize=True,  # the same runs every time: a failure here is reproducible as it stands
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    report_multiple_bugs=False,
    # MODEL_SHRINK=0: report the first failing run as found (a long run's shrinking can take long).
    phases=[Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if os.environ.get("MODEL_SHRINK", "1") != "0"
                                                           else [])],
)


@pytest.fixture
def lifecycle(db, make_staff, settings, tmp_path, monkeypatch):
    """Staff of one department (two counters, two heads, the 住民記録 system's account), a
    checker of another linkage department, delivery settings for an in-process emulator."""
    staff = {name: make_staff(f"model_{name}", "kodomo", role) for name, role in
             [("c1", Role.COUNTER), ("c2", Role.COUNTER), ("a1", Role.APPROVER), ("a2", Role.APPROVER),
              ("jumin", Role.COUNTER)]}
    checker = make_staff("model_checker", "zeimu", Role.COUNTER)
    for kind in ("outbound", "inbound", "quarantine"):
        setattr(settings, f"INTERMEDIARY_{kind.upper()}_DIR", tmp_path / kind)
    settings.INTERMEDIARY_CLOCK_FILE = ""  # intermediary.clock follows time-machine
    settings.INTERMEDIARY_SERVICE_HOURS, settings.INTERMEDIARY_STOP_HOURS = "06:00-23:30", "01:00-05:00"
    settings.INTERMEDIARY_DAILY_AT = "02:00"
    settings.INTERMEDIARY_WS_TIMEOUT = 1.0
    settings.INTERMEDIARY_BACKOFF_BASE_SECONDS = 1.0
    settings.INTERMEDIARY_BACKOFF_MAX_SECONDS = 8.0
    settings.INTERMEDIARY_MAX_ATTEMPTS = 10_000  # faults are bounded; nothing may go dead here
    settings.INTERMEDIARY_RESULT_TIMEOUT_SECONDS = 3600
    # Delivery is driven by the machine itself, never through a broker.
    monkeypatch.setattr(intermediary_services, "nudge_delivery", lambda ids: None)

    def run(channel: str, capsys) -> Counts:
        settings.INTERMEDIARY_CHANNEL = channel
        counts = Counts()
        machine = LifecycleMachine.configure(staff=staff, checker=checker, channel=channel,
                                             workdir=tmp_path, counts=counts)
        monkeypatch.setattr(channels, "web_service_send", lambda **kw: machine.current.web_service_send(**kw))
        started = time.monotonic()
        run_state_machine_as_test(machine, settings=hypothesis_settings.get_profile("lifecycle-model"))
        seconds = time.monotonic() - started
        with capsys.disabled():
            outcomes = " ".join(f"{k}={v}" for k, v in sorted(counts.outcomes.items()))
            print(f"\n[model:{channel}] runs={counts.runs} steps={counts.steps} settles={counts.settles} "
                  f"operations={counts.operations} reflected={counts.operations_reflected} "
                  f"lost={counts.operations - counts.operations_reflected} duplicated={counts.applied_twice} "
                  f"(re-sends absorbed by UUID: {counts.resends_absorbed}) "
                  f"result files read out of order={counts.out_of_order_ingests} seconds={seconds:.1f}\n  {outcomes}")
        return counts

    return run


def test_lifecycle_model_web_service(lifecycle, capsys):
    counts = lifecycle("web_service", capsys)
    assert counts.runs >= 1 and counts.outcomes.get("approve-set:done", 0) > 0


def test_lifecycle_model_xml_batch(lifecycle, capsys):
    counts = lifecycle("xml_batch", capsys)
    assert counts.runs >= 1 and counts.outcomes.get("approve-set:done", 0) > 0
