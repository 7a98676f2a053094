"""The inquiry-time protection rule, one implementation for the single check, the bulk
check and the お知らせ recipient-file filter.

Both read the same one SQL statement over Target + active ①-I abusers: the single check
filters it to one atena_no (index lookups), the bulk check runs it unfiltered once and
answers every number from the resulting set — never one query per number. No audit and
no actor here: the callers (selectors) scope and audit.
"""
from collections import namedtuple
from dataclasses import dataclass
from typing import Iterable, Mapping

from django.conf import settings
from django.db import connection

from victims.models import PROTECTING_STATUSES, CaseAssessment, CaseType, Target, TargetStatus

from . import rules

_Case = namedtuple("_Case", "case_type abuser_atena_no")


def victim_requires_code(status: str, case_types: Iterable[str], direction: str,
                         policy: Mapping[str, bool] | None = None) -> bool:
    """Does an inquiry about (or a manual provision for) a victim with these active cases
    need 不開示コード? A pending registration protects (when in doubt, protect), and so
    does a target with no assessed case yet (e.g. registered from a 住基 push)."""
    if status == TargetStatus.PENDING:
        return True
    case_types = tuple(case_types)
    if not case_types:
        return True
    measures = rules.required_measures((_Case(t, "") for t in case_types), policy)
    return rules.victim_needs_code(measures, direction)


_TARGETS = Target._meta.db_table
_CASES = CaseAssessment._meta.db_table


def _protected_rows_sql(one: bool) -> str:
    victim_filter = "AND t.atena_no = %s" if one else ""
    abuser_filter = "AND c.abuser_atena_no = %s" if one else ""
    return f"""
        SELECT t.atena_no, t.id, t.status,
               COALESCE(string_agg(c.case_type, ',' ORDER BY c.case_type), '') AS case_types,
               FALSE AS is_abuser
          FROM {_TARGETS} t
          LEFT JOIN {_CASES} c ON c.target_id = t.id AND c.active
         WHERE t.status IN (%s, %s) {victim_filter}
         GROUP BY t.id
        UNION ALL
        SELECT DISTINCT c.abuser_atena_no, NULL::bigint, NULL::text, NULL::text, TRUE
          FROM {_CASES} c JOIN {_TARGETS} t ON t.id = c.target_id
         WHERE c.case_type = %s AND c.active AND t.status IN (%s, %s) {abuser_filter}
    """


def _rows(atena_no: str | None = None):
    statuses = [str(s) for s in PROTECTING_STATUSES]
    if atena_no is None:
        params = [*statuses, str(CaseType.C1_I), *statuses]
    else:
        params = [*statuses, atena_no, str(CaseType.C1_I), *statuses, atena_no]
    with connection.cursor() as cur:
        cur.execute(_protected_rows_sql(atena_no is not None), params)
        return cur.fetchall()


def _row_requires(row, direction: str, policy, memo: dict) -> bool:
    _, _, status, case_types, is_abuser = row
    if is_abuser:
        # A registered abuser under an active ①-I: inquiries and manual provisions (ADR 0003).
        return True
    key = (status, case_types, direction)
    if key not in memo:
        memo[key] = victim_requires_code(status, case_types.split(",") if case_types else (), direction, policy)
    return memo[key]


def nondisclosure_code_required(atena_no: str, direction: str) -> tuple[bool, int | None]:
    """(required, victim target id or None) for one atena_no."""
    policy = settings.FLAG_POLICY
    required, victim_id, memo = False, None, {}
    for row in _rows(atena_no):
        if row[1] is not None:
            victim_id = row[1]
        required = required or _row_requires(row, direction, policy, memo)
    return required, victim_id


@dataclass(frozen=True)
class ProtectedSet:
    """Every atena_no needing the code, per direction, loaded with one query."""

    by_direction: dict[str, frozenset[str]]
    target_count: int
    abuser_count: int

    def requires(self, direction: str) -> frozenset[str]:
        return self.by_direction[direction]


def protected_set(directions: Iterable[str] = (rules.INQUIRY, rules.PROVISION)) -> ProtectedSet:
    policy = settings.FLAG_POLICY
    rows = _rows()
    memo: dict = {}
    by_direction = {}
    for direction in directions:
        by_direction[direction] = frozenset(row[0] for row in rows if _row_requires(row, direction, policy, memo))
    abusers = sum(1 for row in rows if row[4])
    return ProtectedSet(by_direction=by_direction, target_count=len(rows) - abusers, abuser_count=abusers)


# --- お知らせ 宛先ファイル ---------------------------------------------------------------

_NoticeCase = namedtuple(
    "_NoticeCase",
    "case_type card_left card_suspension_confirmed_on smartphone_left smartphone_suspension_confirmed_on "
    "agent_set agent_release_confirmed_on representation_ended_on",
)


def notice_must_exclude(cases: Iterable) -> bool:
    """DOMAIN.md §3 last note: a target is removed from every お知らせ 宛先ファイル while any
    ② case is not confirmed over — ②-I until its 利用停止手続 are all confirmed complete,
    ②-II until the representation is confirmed ended — whether or not flags are set. A
    target with no assessed case yet is removed too (when in doubt, protect)."""
    cases = list(cases)
    if not cases:
        return True
    for case in cases:
        if case.case_type == CaseType.C2_I and not rules.suspension_complete(case):
            return True
        if case.case_type == CaseType.C2_II and not case.representation_ended_on:
            return True
    return False


def notice_excluded_set() -> frozenset[str]:
    """atena_nos to remove from お知らせ recipient files, with one query."""
    statuses = [str(s) for s in PROTECTING_STATUSES]
    sql = f"""
        SELECT t.atena_no, c.case_type, c.card_left, c.card_suspension_confirmed_on, c.smartphone_left,
               c.smartphone_suspension_confirmed_on, c.agent_set, c.agent_release_confirmed_on,
               c.representation_ended_on
          FROM {_TARGETS} t
          LEFT JOIN {_CASES} c ON c.target_id = t.id AND c.active
         WHERE t.status IN (%s, %s)
    """
    with connection.cursor() as cur:
        cur.execute(sql, statuses)
        rows = cur.fetchall()
    by_target: dict[str, list] = {}
    for atena_no, *case in rows:
        bucket = by_target.setdefault(atena_no, [])
        if case[0] is not None:
            bucket.append(_NoticeCase(*case))
    return frozenset(a for a, cases in by_target.items() if notice_must_exclude(cases))
