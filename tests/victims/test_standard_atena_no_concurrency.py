"""The cross-column rule of ADR 0046 under concurrency, with real commits (live_db: PostgreSQL,
like tests/flags/test_concurrency.py): every writer of a target's numbers holds one
transaction-scoped lock, so two intakes racing on one number cannot make two targets of it."""
import threading

from django.db import connection
from django.utils import timezone

from tests.conftest import intake_payload
from victims.models import Target
from victims.numbers import number_q
from victims.services import registration_submit


def test_two_intakes_naming_one_number_in_different_columns_make_one_target(live_db, counter, other_counter):
    """The cross-column rule under the numbers lock: one department registers X as a person's
    atena_no while another registers someone with X as standard number, at the same moment.
    Whichever commits first, the other is that person's registration: X names one target."""
    failures: list[str] = []
    for round_no in range(4):
        number = f"36000000000000{round_no}"
        barrier = threading.Barrier(2)
        payloads = [(counter, intake_payload(atena_no=number)),
                    (other_counter, intake_payload(atena_no=f"37000000000000{round_no}", standard_atena_no=number))]

        def submit(actor, payload, barrier=barrier):  # bound now: each round has its own
            try:
                barrier.wait()
                registration_submit(actor=actor, payload=payload, today=timezone.localdate())
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=submit, args=args) for args in payloads]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert Target.objects.filter(number_q(number)).count() == 1, round_no
    assert failures == []
