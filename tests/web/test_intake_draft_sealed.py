"""Kept intake input is sealed at rest (ADR 0061, superseding ADR 0049's "not encrypted"), and
none outlives the absolute session limit even if its clerk never comes back."""
import time

import pytest
import time_machine
from django.db import connection

from victims import tasks
from victims.intake_drafts import intake_draft_fields, intake_draft_for, intake_draft_keep
from victims.models import IntakeDraft

from .test_no_lost_work import NAME, time_out_on_submit

pytestmark = pytest.mark.django_db


def _stored_row(staff_id: int) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT sealed FROM victims_intakedraft WHERE staff_id = %s", [staff_id])
        return cur.fetchone()[0]


def test_the_database_holds_no_readable_input(login, counter):
    start = time.time()
    time_out_on_submit(login(counter), start)
    stored = _stored_row(counter.pk)
    assert NAME not in stored and "山田" not in stored and "card_left" not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    with time_machine.travel(start + 17 * 60):
        assert intake_draft_fields(IntakeDraft.objects.get(staff=counter))["name"] == [NAME]


def test_a_draft_sealed_under_another_key_is_not_offered_and_is_deleted(counter, settings):
    intake_draft_keep(staff=counter, fields={"name": [NAME]})
    settings.SECRET_KEY = "another-installation"
    assert intake_draft_for(staff=counter) is None
    assert not IntakeDraft.objects.exists()


def test_after_a_key_rotation_the_old_key_in_the_fallbacks_still_opens_it(counter, settings):
    old = settings.SECRET_KEY
    intake_draft_keep(staff=counter, fields={"name": [NAME]})
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-key", [old]
    draft = intake_draft_for(staff=counter)
    assert draft is not None and intake_draft_fields(draft) == {"name": [NAME]}


def test_an_explicit_draft_key_is_used_instead_of_the_secret_key(counter, settings):
    settings.DRAFT_ENCRYPTION_KEY = "a-separate-draft-key"
    intake_draft_keep(staff=counter, fields={"name": [NAME]})
    settings.DRAFT_ENCRYPTION_KEY = ""
    assert intake_draft_for(staff=counter) is None


def test_an_altered_token_does_not_open(counter):
    draft = intake_draft_keep(staff=counter, fields={"name": [NAME]})
    IntakeDraft.objects.filter(pk=draft.pk).update(sealed=draft.sealed[:-4] + "AAAA")
    assert intake_draft_fields(IntakeDraft.objects.get(pk=draft.pk)) is None


def test_the_periodic_purge_deletes_drafts_past_the_absolute_limit_at_the_boundary(counter, approver, settings):
    start = time.time()
    with time_machine.travel(start, tick=False):
        intake_draft_keep(staff=counter, fields={"name": [NAME]})
    with time_machine.travel(start + 60, tick=False):
        intake_draft_keep(staff=approver, fields={"name": ["別の人"]})
    limit = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
    with time_machine.travel(start + limit - 1, tick=False):
        assert tasks.intake_drafts_purge() == 0
    with time_machine.travel(start + limit, tick=False):  # kept_until reached: gone
        assert tasks.intake_drafts_purge() == 1
    assert list(IntakeDraft.objects.values_list("staff_id", flat=True)) == [approver.pk]


def test_the_token_time_guards_even_if_kept_until_was_moved(counter, settings):
    start = time.time()
    with time_machine.travel(start, tick=False):
        draft = intake_draft_keep(staff=counter, fields={"name": [NAME]})
    IntakeDraft.objects.filter(pk=draft.pk).update(kept_until=draft.kept_until.replace(year=draft.kept_until.year + 1))
    with time_machine.travel(start + settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS + 120, tick=False):
        assert intake_draft_for(staff=counter) is None
