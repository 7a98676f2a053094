"""intermediary/0007 (ADR 0084): operations written before it are numbered per unit by
(created_at, id) — ties broken by id, as the old rule did — each unit's FlagState holds its
last number, and a unit that had operations but no FlagState row gets one ("never set"). The
migration's function runs here on the current tables (its SQL names only columns both have),
on PostgreSQL and SQLite alike."""
import datetime
import importlib
import types
import uuid

import pytest
from django.apps import apps
from django.db import connection

from intermediary.models import FlagState, Operation

migration = importlib.import_module("intermediary.migrations.0007_unit_seq")

T0 = datetime.datetime(2025, 6, 1, 1, 0, tzinfo=datetime.UTC)
A, B = "100000000000001", "100000000000002"


def _op(unit_key, kind, created_at, id_int, placeholder):
    op = Operation.objects.create(id=uuid.UUID(int=id_int), unit_type="atena", unit_key=unit_key, flag_kind=kind,
                                  action="set", unit_seq=placeholder)
    Operation.objects.filter(pk=op.pk).update(created_at=created_at)  # created_at is auto_now_add
    return op.pk


@pytest.mark.django_db
def test_existing_operations_are_numbered_per_unit_and_flagstate_holds_the_last():
    later = T0 + datetime.timedelta(seconds=5)
    # Placeholders far above the new numbers (the unique constraint exists on today's table).
    tie_high_id = _op(A, "NONDISCLOSURE", later, 30, 100)
    tie_low_id = _op(A, "NONDISCLOSURE", later, 10, 101)
    first = _op(A, "NONDISCLOSURE", T0, 20, 102)
    other_flag = _op(A, "NO_AUTO_RESPONSE", later, 40, 103)
    stateless = _op(B, "NONDISCLOSURE", T0, 50, 104)
    FlagState.objects.create(unit_type="atena", unit_key=A, flag_kind="NONDISCLOSURE", desired=True, desired_at=T0)
    FlagState.objects.create(unit_type="atena", unit_key=A, flag_kind="NO_AUTO_RESPONSE", desired=True, desired_at=T0)

    migration.number_existing_operations(apps, types.SimpleNamespace(quote_name=connection.ops.quote_name,
                                                                      connection=connection))

    seq = dict(Operation.objects.values_list("pk", "unit_seq"))
    assert [seq[first], seq[tie_low_id], seq[tie_high_id]] == [1, 2, 3]
    assert seq[other_flag] == 1 and seq[stateless] == 1
    states = {(s.unit_key, s.flag_kind): s for s in FlagState.objects.all()}
    assert states[(A, "NONDISCLOSURE")].seq == 3 and states[(A, "NONDISCLOSURE")].desired is True
    assert states[(A, "NO_AUTO_RESPONSE")].seq == 1
    created = states[(B, "NONDISCLOSURE")]
    assert (created.seq, created.desired, created.desired_at, created.reflected) == (1, False, None, None)
    assert len(states) == 3
