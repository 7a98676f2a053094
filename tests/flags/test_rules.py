"""Case → measures (DOMAIN.md §3, 2025 rules) and the release conditions."""
from dataclasses import dataclass
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from flags import rules
from intermediary.flag_kinds import NO_AUTO_RESPONSE as NAR
from intermediary.flag_kinds import NONDISCLOSURE as ND


@dataclass
class C:
    case_type: str
    abuser_atena_no: str = ""
    active: bool = True
    card_left: bool = False
    card_suspension_confirmed_on: date | None = None
    smartphone_left: bool = False
    smartphone_suspension_confirmed_on: date | None = None
    agent_set: bool = False
    agent_release_confirmed_on: date | None = None
    representation_ended_on: date | None = None


ABUSER = "200000000000009"


def test_2_I_needs_both_flags_and_the_code_on_the_victim():
    m = rules.required_measures([C("2-I")])
    assert m.victim_flags == {ND, NAR} and m.code_on_victim and not m.code_on_abusers


def test_2_II_needs_nondisclosure_only():
    m = rules.required_measures([C("2-II")])
    assert m.victim_flags == {ND} and m.code_on_victim


def test_1_I_needs_only_the_code_on_the_abuser():
    m = rules.required_measures([C("1-I", ABUSER)])
    assert m.victim_flags == set() and not m.code_on_victim and m.code_on_abusers == {ABUSER}


def test_cases_combine_as_a_union():
    m = rules.required_measures([C("1-I", ABUSER), C("2-II")])
    assert m.victim_flags == {ND} and m.code_on_victim and m.code_on_abusers == {ABUSER}


def test_stricter_policies_add_measures():
    m = rules.required_measures([C("1-I", ABUSER)],
                                {"both_flags_for_every_victim": True, "code_on_victim_for_case_1_1": True})
    assert m.victim_flags == {ND, NAR} and m.code_on_victim


def test_no_cases_no_measures_even_with_policy():
    assert rules.required_measures([], {"both_flags_for_every_victim": True}) == rules.Measures()


def test_provision_for_a_2_II_victim_needs_the_code_because_manual_entry_overrides_the_flag():
    m = rules.required_measures([C("2-II")])
    assert rules.victim_needs_code(m, "provision") is True
    assert rules.victim_needs_code(rules.required_measures([C("1-I", ABUSER)]), "provision") is False


case_strategy = st.builds(C, st.sampled_from(["1-I", "2-I", "2-II"]), st.just(ABUSER))
policy_strategy = st.fixed_dictionaries({
    "both_flags_for_every_victim": st.booleans(), "code_on_victim_for_case_1_1": st.booleans()})


@given(st.lists(case_strategy, max_size=5), policy_strategy)
def test_no_policy_is_looser_than_the_national_minimum(cases, policy):
    minimum = rules.required_measures(cases)
    local = rules.required_measures(cases, policy)
    assert minimum.victim_flags <= local.victim_flags
    assert minimum.code_on_abusers <= local.code_on_abusers
    assert local.code_on_victim or not minimum.code_on_victim


@given(st.lists(case_strategy, min_size=1, max_size=5))
def test_measures_are_the_union_of_each_case(cases):
    union = [rules.required_measures([c]) for c in cases]
    combined = rules.required_measures(cases)
    assert combined.victim_flags == frozenset().union(*(m.victim_flags for m in union))
    assert combined.code_on_victim == any(m.code_on_victim for m in union)


def test_release_refused_while_jumin_support_active():
    assert "住基DV等支援措置" in rules.release_refusal(reason="wish", cases=[C("2-I")], jumin_support_active=True)


def test_2_I_release_needs_every_applicable_procedure_confirmed():
    case = C("2-I", card_left=True, agent_set=True, card_suspension_confirmed_on=date(2026, 1, 1))
    assert rules.release_refusal(reason="2-I_complete", cases=[case], jumin_support_active=False)
    case.agent_release_confirmed_on = date(2026, 1, 2)
    assert rules.release_refusal(reason="2-I_complete", cases=[case], jumin_support_active=False) is None


def test_2_II_release_needs_representation_ended_and_the_right_case():
    case = C("2-II")
    assert rules.release_refusal(reason="2-II_ended", cases=[case], jumin_support_active=False)
    case.representation_ended_on = date(2026, 1, 1)
    assert rules.release_refusal(reason="2-II_ended", cases=[case], jumin_support_active=False) is None
    assert rules.release_refusal(reason="2-I_complete", cases=[case], jumin_support_active=False)


def test_release_of_an_ended_case_or_unknown_reason_is_refused():
    assert rules.release_refusal(reason="wish", cases=[C("2-I", active=False)], jumin_support_active=False)
    assert rules.release_refusal(reason="bogus", cases=[C("2-I")], jumin_support_active=False)
    assert rules.release_refusal(reason="wish", cases=[], jumin_support_active=False)
