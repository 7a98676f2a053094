"""The bulk check and the single check are one rule: on random populations (every status,
active and ended cases, abusers who are themselves victims) they answer alike, and both
agree with a plain reading of DOMAIN.md §3 written here independently."""
import random

import pytest
from django.utils import timezone

from checks.protection import nondisclosure_code_required, notice_excluded_set, protected_set
from victims.models import CaseAssessment, Target

STATUSES = ["pending", "active", "active", "active", "released", "rejected", "withdrawn"]


def expected(status, cases, direction, policy, abuser_of_active):
    """Independent statement of the rule, for comparison."""
    if abuser_of_active:
        return True
    if status not in ("pending", "active"):
        return False
    if status == "pending":
        return True
    types = {c["type"] for c in cases if c["active"]}
    if not types:
        return True
    code_on_victim = bool(types & {"2-I", "2-II"}) or ("1-I" in types and policy["code_on_victim_for_case_1_1"])
    nondisclosure_flag = bool(types & {"2-I", "2-II"}) or policy["both_flags_for_every_victim"]
    return code_on_victim if direction == "inquiry" else (code_on_victim or nondisclosure_flag)


@pytest.mark.parametrize("seed", range(4))
def test_single_bulk_and_independent_rule_agree(counter, settings, seed):
    rng = random.Random(seed)
    settings.FLAG_POLICY = {"both_flags_for_every_victim": rng.random() < 0.5,
                            "code_on_victim_for_case_1_1": rng.random() < 0.5}
    now = timezone.now()
    numbers = [f"{910000000000000 + seed * 1000 + i:015d}" for i in range(40)]
    population = {}
    for number in numbers[:30]:
        status = rng.choice(STATUSES)
        target = Target.objects.create(
            atena_no=number, name="試験", name_kana="シケン", birth_date="1990-01-01", harm_types=["dv"],
            owning_department=counter.department, status=status, is_victim=True, is_victim_confirmed_by=counter,
            is_victim_confirmed_at=now, fled=True, fled_confirmed_by=counter, fled_confirmed_at=now,
            basis="request", basis_confirmed_by=counter, basis_confirmed_at=now, created_by=counter)
        cases = []
        for _ in range(rng.randint(0, 3)):
            case_type = rng.choice(["1-I", "2-I", "2-II"])
            active = rng.random() < 0.75
            abuser = rng.choice(numbers) if case_type == "1-I" else ""
            if abuser == number:
                abuser = numbers[-1]
            CaseAssessment.objects.create(
                target=target, case_type=case_type, active=active, abuser_atena_no=abuser,
                card_left=case_type == "2-I", legal_representative="guardian" if case_type == "2-II" else "",
                card_suspension_confirmed_on=now.date() if case_type == "2-I" and rng.random() < 0.5 else None,
                representation_ended_on=now.date() if case_type == "2-II" and rng.random() < 0.5 else None)
            cases.append({"type": case_type, "active": active, "abuser": abuser,
                          "card_confirmed": None})
        population[number] = (status, cases)
    abusers = {c["abuser"] for status, cases in population.values() if status in ("pending", "active")
               for c in cases if c["type"] == "1-I" and c["active"]}
    for direction in ("inquiry", "provision"):
        bulk = protected_set([direction]).requires(direction)
        for number in numbers:
            status, cases = population.get(number, ("absent", []))
            want = expected(status, cases, direction, settings.FLAG_POLICY, number in abusers)
            assert nondisclosure_code_required(number, direction)[0] is want, (number, direction)
            assert (number in bulk) is want, (number, direction)


def test_notice_exclusion_needs_every_2_I_procedure_confirmed(counter):
    now = timezone.now()
    target = Target.objects.create(
        atena_no="920000000000001", name="試験", name_kana="シケン", birth_date="1990-01-01", harm_types=["dv"],
        owning_department=counter.department, status="active", is_victim=True, is_victim_confirmed_by=counter,
        is_victim_confirmed_at=now, fled=True, fled_confirmed_by=counter, fled_confirmed_at=now,
        basis="request", basis_confirmed_by=counter, basis_confirmed_at=now, created_by=counter)
    case = CaseAssessment.objects.create(target=target, case_type="2-I", card_left=True, smartphone_left=True,
                                         agent_set=True)
    for field in ("card_suspension_confirmed_on", "smartphone_suspension_confirmed_on"):
        setattr(case, field, now.date())
        case.save()
        assert "920000000000001" in notice_excluded_set()
    case.agent_release_confirmed_on = now.date()
    case.save()
    assert "920000000000001" not in notice_excluded_set()
