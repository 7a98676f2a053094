"""A registration of a person who is already a target protects at the check at once, as a new
registration would (ADR 0024): when in doubt, protect — a released person who comes back to
another department's counter, an abuser that department learnt of — and the registering
department cannot tell a duplicate from a new person by checking the number afterwards. The
owner's review ends it; flags at the intermediate server never move without the owner's four eyes."""
from django.utils import timezone

from checks.protection import nondisclosure_code_required, notice_excluded_set, protected_set
from checks.selectors import inquiry_check
from flags.rules import INQUIRY, PROVISION
from intermediary.models import FlagState
from tests.conftest import intake_payload, new_atena
from victims.models import ProvisionalProtection, Registration, ReviewTaskKind
from victims.services import registration_submit, review_task_close

from .test_registration_no_oracle import ABUSER, kodomo_targets  # noqa: F401 - the fixture

NEW_ABUSER = "290000000000077"


def _second_case_with_abuser(atena_no: str) -> dict:
    return intake_payload(atena_no=atena_no, cases=[{"type": "2-I", "card_left": True},
                                                    {"type": "1-I", "abuser_atena_no": NEW_ABUSER}])


def test_a_duplicate_protects_the_person_and_the_abuser_it_names_at_once(
        kodomo_targets, other_counter, counter):  # noqa: F811
    released, one_one = kodomo_targets["released"], kodomo_targets["one_one"]
    # Before: the released person is not protected; the ①-I victim needs no code for inquiries.
    assert not inquiry_check(actor=other_counter, atena_no=released.atena_no, direction=INQUIRY)
    assert not inquiry_check(actor=other_counter, atena_no=one_one.atena_no, direction=INQUIRY)
    flags_before = sorted(FlagState.objects.values_list("unit_key", "flag_kind", "desired"))

    for target in (released, one_one):
        registration_submit(actor=other_counter, payload=_second_case_with_abuser(target.atena_no),
                            today=timezone.localdate())
        assert inquiry_check(actor=other_counter, atena_no=target.atena_no, direction=INQUIRY)
        assert inquiry_check(actor=other_counter, atena_no=target.atena_no, direction=PROVISION)
    assert inquiry_check(actor=other_counter, atena_no=NEW_ABUSER, direction=INQUIRY)
    assert nondisclosure_code_required(released.atena_no, INQUIRY) == (True, released.pk)
    # The bulk check and the お知らせ filter read the same rule.
    protected = protected_set()
    assert {released.atena_no, one_one.atena_no, NEW_ABUSER} <= protected.requires(INQUIRY)
    assert {released.atena_no, one_one.atena_no} <= notice_excluded_set()
    # Nothing reaches the intermediate server without the owner's decision.
    assert sorted(FlagState.objects.values_list("unit_key", "flag_kind", "desired")) == flags_before


def test_the_answer_after_a_duplicate_is_the_answer_after_a_new_registration(
        kodomo_targets, other_counter):  # noqa: F811
    new_number = new_atena()
    for number in (new_number, kodomo_targets["released"].atena_no, kodomo_targets["one_one"].atena_no):
        registration_submit(actor=other_counter, payload=intake_payload(atena_no=number), today=timezone.localdate())
    answers = {number: (inquiry_check(actor=other_counter, atena_no=number, direction=INQUIRY),
                        inquiry_check(actor=other_counter, atena_no=number, direction=PROVISION))
               for number in (new_number, kodomo_targets["released"].atena_no, kodomo_targets["one_one"].atena_no)}
    assert set(answers.values()) == {(True, True)}


def test_the_owners_review_ends_the_provisional_protection(kodomo_targets, other_counter, counter):  # noqa: F811
    released = kodomo_targets["released"]
    receipt = registration_submit(actor=other_counter, payload=_second_case_with_abuser(released.atena_no),
                                  today=timezone.localdate())
    assert isinstance(receipt, Registration) and receipt.review_task is not None
    assert receipt.review_task.kind == ReviewTaskKind.ALSO_SUPPORTED
    assert ProvisionalProtection.objects.filter(registration=receipt).count() == 2
    review_task_close(actor=counter, task_id=receipt.review_task.pk, note="他課と調整済み")
    assert not inquiry_check(actor=other_counter, atena_no=released.atena_no, direction=INQUIRY)
    assert not inquiry_check(actor=other_counter, atena_no=NEW_ABUSER, direction=INQUIRY)
    assert released.atena_no not in notice_excluded_set()


def test_a_new_registration_makes_no_provisional_rows(other_counter):
    registration_submit(actor=other_counter, payload=intake_payload(), today=timezone.localdate())
    assert not ProvisionalProtection.objects.exists()
