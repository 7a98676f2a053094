"""Case type → measures (DOMAIN.md §3, 2025 rules). Pure functions, no database.

The policy switches can only add measures: there is no input that makes the result
weaker than the national minimum.
"""
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from intermediary.flag_kinds import NO_AUTO_RESPONSE, NONDISCLOSURE

CASE_1_I = "1-I"
CASE_2_I = "2-I"
CASE_2_II = "2-II"


INQUIRY = "inquiry"
PROVISION = "provision"


class TypedCase(Protocol):
    """Any record of one case (a CaseAssessment, or a row read for a bulk rule)."""

    @property
    def case_type(self) -> str: ...


class CaseLike(TypedCase, Protocol):
    @property
    def abuser_atena_no(self) -> str: ...


class ReleasableCase(TypedCase, Protocol):
    @property
    def active(self) -> bool: ...
    @property
    def representation_ended_on(self) -> datetime.date | None: ...


@dataclass(frozen=True)
class Measures:
    victim_flags: frozenset[str] = field(default_factory=frozenset)  # flags on the victim's atena_no
    code_on_victim: bool = False  # 不開示コード on every inquiry about the victim
    code_on_abusers: frozenset[str] = field(default_factory=frozenset)  # abuser atena_nos needing the code

    def as_dict(self) -> dict[str, object]:
        return {
            "victim_flags": sorted(self.victim_flags),
            "nondisclosure_code_on_victim": self.code_on_victim,
            "nondisclosure_code_on_abusers": sorted(self.code_on_abusers),
        }


def required_measures(cases: Iterable[CaseLike], policy: Mapping[str, bool] | None = None) -> Measures:
    """Union of the measures of every active case of one target."""
    policy = policy or {}
    flags: set[str] = set()
    code_on_victim = False
    abusers: set[str] = set()
    any_case = False
    for case in cases:
        any_case = True
        if case.case_type == CASE_1_I:
            abusers.add(case.abuser_atena_no)
            if policy.get("code_on_victim_for_case_1_1"):
                code_on_victim = True
        elif case.case_type == CASE_2_I:
            flags |= {NONDISCLOSURE, NO_AUTO_RESPONSE}
            code_on_victim = True
        elif case.case_type == CASE_2_II:
            flags.add(NONDISCLOSURE)
            code_on_victim = True
        else:
            raise ValueError(f"unknown case type {case.case_type!r}")
    if any_case and policy.get("both_flags_for_every_victim"):
        flags |= {NONDISCLOSURE, NO_AUTO_RESPONSE}
    return Measures(frozenset(flags), code_on_victim, frozenset(abusers))


def victim_needs_code(measures: Measures, direction: str) -> bool:
    """Inquiry about the victim: the code when any ② case (or policy) asks for it.
    Manual provision for the victim (一時入力): the message's disclosure setting overrides
    the 不開示該当フラグ, so it must carry 不開示 whenever that flag is required."""
    if direction == INQUIRY:
        return measures.code_on_victim
    return NONDISCLOSURE in measures.victim_flags or measures.code_on_victim


@dataclass(frozen=True)
class Procedure:
    """A confirmation that ends a ② case (DOMAIN.md §3 "ends when"): which case it belongs
    to, the fact that makes it apply (None: always), the case's fields that record it."""

    key: str
    case_type: str
    applies_if: str | None
    label: str
    date_field: str
    by_field: str


# The one table of the ②-I カード利用停止等手続 and the ②-II end of representation.
PROCEDURES: dict[str, Procedure] = {p.key: p for p in (
    Procedure("card", CASE_2_I, "card_left", "マイナンバーカードの利用停止・失効",
              "card_suspension_confirmed_on", "card_suspension_confirmed_by"),
    Procedure("smartphone", CASE_2_I, "smartphone_left", "スマホ用電子証明書の利用停止・失効",
              "smartphone_suspension_confirmed_on", "smartphone_suspension_confirmed_by"),
    Procedure("agent", CASE_2_I, "agent_set", "マイナポータルの代理人設定の解除",
              "agent_release_confirmed_on", "agent_release_confirmed_by"),
    Procedure("representation", CASE_2_II, None, "加害者の法定代理権の終了",
              "representation_ended_on", "representation_ended_confirmed_by"),
)}


def procedures_for(case: TypedCase) -> list[Procedure]:
    """The procedures that apply to this case (none for ①-I)."""
    return [p for p in PROCEDURES.values()
            if p.case_type == case.case_type and (p.applies_if is None or getattr(case, p.applies_if))]


def procedures_complete(case: TypedCase) -> bool:
    """Every procedure that applies to the case is confirmed (a ①-I case has none)."""
    return all(getattr(case, p.date_field) for p in procedures_for(case))


# 成年年齢 (民法第4条): at 18 a parent is no longer a minor's legal representative, so a ②-II
# case with a parent as representative ends then (DOMAIN.md §3, §7).
MAJORITY_AGE = 18


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Completed years on `day`: the birthday itself counts (a 29 February birth counts from
    1 March in a common year, the first day the anniversary has passed)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_adult_on(birth: datetime.date, day: datetime.date) -> bool:
    return age_on(birth, day) >= MAJORITY_AGE


def majority_date(birth: datetime.date) -> datetime.date:
    """The first day on which `is_adult_on` holds: the 18th birthday, or 1 March when the
    person was born on 29 February and that year has none."""
    try:
        return birth.replace(year=birth.year + MAJORITY_AGE)
    except ValueError:  # 29 February in a common year
        return datetime.date(birth.year + MAJORITY_AGE, 3, 1)


RELEASE_WISH = "wish"
RELEASE_2_I_COMPLETE = "2-I_complete"
RELEASE_2_II_ENDED = "2-II_ended"
RELEASE_REASONS = {
    RELEASE_WISH: "本人の申出（解除の希望）",
    RELEASE_2_I_COMPLETE: "②-I カード利用停止等の手続がすべて完了したことを確認",
    RELEASE_2_II_ENDED: "②-II 加害者の法定代理権が終了したことを確認",
}


# What would end a person's protection; each is refused while a 住基DV等支援措置 is active
# (DOMAIN.md §2 and §7: a 支援措置 person must stay a target). ADR 0016.
ENDING_RELEASE = "解除"
ENDING_WITHDRAW = "登録の取下げ"
ENDING_REJECT = "登録の却下"


def protection_end_refusal(*, ending: str, jumin_support_active: bool) -> str | None:
    """Why `ending` (one of the ENDING_* above) may not happen now, or None: the one rule
    for release, withdrawal and rejection of a registration."""
    if jumin_support_active:
        return f"住基DV等支援措置の対象者は{ending}できません（支援措置の対象者は必ず設定対象者とします）。"
    return None


def release_refusal(*, reason: str, cases: Iterable[ReleasableCase], jumin_support_active: bool) -> str | None:
    """Why a release of `cases` for `reason` may not proceed now, or None.

    Evaluated at request time and again, against the live record, at approval."""
    cases = list(cases)
    if reason not in RELEASE_REASONS:
        return "解除理由が正しくありません。"
    support = protection_end_refusal(ending=ENDING_RELEASE, jumin_support_active=jumin_support_active)
    if support:
        return support
    if not cases:
        return "解除する類型を選択してください。"
    if any(not c.active for c in cases):
        return "既に終了した類型が含まれています。"
    if reason == RELEASE_2_I_COMPLETE:
        if any(c.case_type != CASE_2_I for c in cases):
            return "この解除理由は②-I の類型にのみ使用できます。"
        if not all(procedures_complete(c) for c in cases):
            return "カード・証明書の利用停止、代理人解除等の手続の完了が確認されていません。"
    if reason == RELEASE_2_II_ENDED:
        if any(c.case_type != CASE_2_II for c in cases):
            return "この解除理由は②-II の類型にのみ使用できます。"
        if not all(c.representation_ended_on for c in cases):
            return "法定代理権の終了が確認されていません。"
    return None
