"""The inquiry-time protection rule, one implementation for the single check, the bulk
check and the お知らせ recipient-file filter.

Both read the same one SQL statement over Target + active ①-I abusers: the single check
filters it to one atena_no (index lookups), the bulk check runs it unfiltered once and
answers every number from the resulting set — never one query per number. No audit and
no actor here: the callers (selectors) scope and audit.

A victim is known by either number (ADR 0046, 0047): its 団体内統合宛名番号 and the standard
systems' 宛名番号 are aliases of one target, in the single check's lookup, in every set and
in `target_ids` (both map to the target's id). Nothing here or in what callers receive says
which one matched. Abusers stay as registered (their ①-I number).
"""
from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q

from flags import rules
from flags.models import ChangeRequest, ChangeStatus
from victims.models import (
    PROTECTING_STATUSES,
    CaseAssessment,
    CaseType,
    ProvisionalProtection,
    ReviewTask,
    ReviewTaskStatus,
    Target,
    TargetStatus,
)

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
_PROVISIONAL = ProvisionalProtection._meta.db_table
_TASKS = ReviewTask._meta.db_table
_REQUESTS = ChangeRequest._meta.db_table


def _protected_rows_sql(one: bool) -> str:
    """One row per (protecting target, active case) — or (target, NULL) when it has none —
    then one row per active ①-I abuser, then the numbers another department's registration
    asked to protect while the owner reviews it (ADR 0024) or a pending amendment adds (ADR
    0030): the person as a pending target, its ①-I abusers as abusers. A victim's
    provisional protection has a row for each number of its target as well as each number the
    registration named (written so by the services, ADR 0047): no join here, which keeps the
    single check's plan as small as before. Grouping happens in Python: cheaper than a GROUP
    BY with string_agg over every target. Portable SQL: the same statement runs on PostgreSQL
    and on the embedded default's SQLite (standard CAST, not `::`)."""
    # Either number of a victim: both columns are unique, hence indexed (two index lookups).
    victim_filter = "AND (t.atena_no = %s OR t.standard_atena_no = %s)" if one else ""
    abuser_filter = "AND c.abuser_atena_no = %s" if one else ""
    provisional_filter = "AND p.atena_no = %s" if one else ""
    # Only table names and fixed clauses are interpolated; every value is a parameter.
    return f"""
        SELECT t.atena_no, t.standard_atena_no, t.id, t.status, c.case_type
          FROM {_TARGETS} t
          LEFT JOIN {_CASES} c ON c.target_id = t.id AND c.active
         WHERE t.status IN (%s, %s) {victim_filter}
        UNION ALL
        SELECT c.abuser_atena_no, CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
          FROM {_CASES} c JOIN {_TARGETS} t ON t.id = c.target_id
         WHERE c.case_type = %s AND c.active AND t.status IN (%s, %s) {abuser_filter}
        UNION ALL
        SELECT p.atena_no, CAST(NULL AS TEXT), CASE WHEN p.is_abuser THEN NULL ELSE p.target_id END,
               CASE WHEN p.is_abuser THEN NULL ELSE %s END, CAST(NULL AS TEXT)
          FROM {_PROVISIONAL} p
          LEFT JOIN {_TASKS} rt ON rt.id = p.review_task_id
          LEFT JOIN {_REQUESTS} cr ON cr.id = p.change_request_id
         WHERE (rt.status = %s OR cr.status = %s) {provisional_filter}
    """  # noqa: S608


def _grouped(atena_no: str | None = None):
    """(victims, abusers, aliases): victims maps target id → [atena_no, status, case types];
    abusers is the set of abuser atena_nos; aliases maps a target id to its other numbers
    (its standard number, a number a provisional protection names: ADR 0047), only for the
    targets that have any — kept apart, so the hot loop over every target stays as cheap as
    with one number each and the work grows with the targets that have another number."""
    statuses = [str(s) for s in PROTECTING_STATUSES]
    provisional = [str(TargetStatus.PENDING), str(ReviewTaskStatus.OPEN), str(ChangeStatus.PENDING)]
    if atena_no is None:
        params = [*statuses, str(CaseType.C1_I), *statuses, *provisional]
    else:
        params = [*statuses, atena_no, atena_no, str(CaseType.C1_I), *statuses, atena_no, *provisional, atena_no]
    with connection.cursor() as cur:
        cur.execute(_protected_rows_sql(atena_no is not None), params)
        rows = cur.fetchall()
    victims: dict[int, list] = {}
    abusers: set[str] = set()
    aliases: dict[int, tuple[str, ...]] = {}
    for number, standard, target_id, status, case_type in rows:
        if target_id is None:
            abusers.add(number)
            continue
        entry = victims.get(target_id)
        if entry is None:
            entry = victims[target_id] = [number, status, []]
            if standard is not None and standard != number:
                aliases[target_id] = (standard,)
        else:
            if status == TargetStatus.PENDING:  # a provisional row protects an active target as pending
                entry[1] = status
            if number != entry[0]:  # a provisional row's number, or the target's row after one
                known = (*aliases.get(target_id, ()), number, standard)
                aliases[target_id] = tuple(n for n in dict.fromkeys(known) if n is not None and n != entry[0])
        if case_type is not None:
            entry[2].append(case_type)
    return victims, abusers, aliases


# (status, sorted case types, direction) → answer: the rule runs once per combination.
_Memo = dict[tuple[str, tuple[str, ...], str], bool]


def _victim_requires(status: str, case_types: list[str], direction: str, policy: Mapping[str, bool] | None,
                     memo: _Memo) -> bool:
    key = (status, tuple(sorted(case_types)), direction)
    answer = memo.get(key)
    if answer is None:
        answer = memo[key] = victim_requires_code(status, key[1], direction, policy)
    return answer


def nondisclosure_code_required(atena_no: str, direction: str) -> tuple[bool, int | None]:
    """(required, victim target id or None) for one atena_no. A registered abuser under an
    active ①-I needs the code for inquiries and manual provisions alike (ADR 0003)."""
    victims, abusers, _ = _grouped(atena_no)
    policy = settings.FLAG_POLICY
    memo: _Memo = {}
    victim_id = next(iter(victims), None)
    required = bool(abusers) or any(
        _victim_requires(status, types, direction, policy, memo) for _, status, types in victims.values())
    return required, victim_id


@dataclass(frozen=True)
class ProtectedSet:
    """Every number needing the code, per direction, loaded with one query: a victim's
    atena_no and standard number alike (ADR 0047), abusers' atena_nos."""

    by_direction: dict[str, frozenset[str]]
    target_count: int
    abuser_count: int
    # Either number → id of every protecting target: the persons a bulk check matched are
    # audited by id (a victim's two numbers map to the same id).
    target_ids: dict[str, int] = field(default_factory=dict)

    def requires(self, direction: str) -> frozenset[str]:
        return self.by_direction[direction]


def protected_set(directions: Iterable[str] = (rules.INQUIRY, rules.PROVISION)) -> ProtectedSet:
    victims, abusers, aliases = _grouped()
    policy = settings.FLAG_POLICY
    memo: _Memo = {}
    by_direction = {}
    for direction in directions:
        required = {number for number, status, types in victims.values()
                    if _victim_requires(status, types, direction, policy, memo)}
        for target_id, others in aliases.items():
            _, status, types = victims[target_id]
            if _victim_requires(status, types, direction, policy, memo):
                required.update(others)
        by_direction[direction] = frozenset(required | abusers)
    target_ids = {number: target_id for target_id, (number, _, _) in victims.items()}
    for target_id, others in aliases.items():
        for number in others:
            target_ids[number] = target_id
    return ProtectedSet(by_direction=by_direction, target_count=len(victims), abuser_count=len(abusers),
                        target_ids=target_ids)


def in_force_q() -> Q:
    """The provisional protections in force: of an open review task (ADR 0024) or a pending
    amendment (ADR 0030). The SQL above says the same for the check."""
    return Q(review_task__status=ReviewTaskStatus.OPEN) | Q(change_request__status=ChangeStatus.PENDING)


# --- お知らせ 宛先ファイル ---------------------------------------------------------------

# The case columns the recipient rule reads, from the one procedure table (flags.rules).
_NOTICE_FIELDS = ("case_type", *dict.fromkeys(
    f for p in rules.PROCEDURES.values() for f in (p.applies_if, p.date_field) if f))
_NoticeCase = namedtuple("_NoticeCase", _NOTICE_FIELDS)  # type: ignore[misc]
_SECOND_CASES = frozenset(p.case_type for p in rules.PROCEDURES.values())


def notice_must_exclude(cases: Iterable) -> bool:
    """DOMAIN.md §3 last note: a target is removed from every お知らせ 宛先ファイル while any
    ② case is not confirmed over — ②-I until its 利用停止手続 are all confirmed complete,
    ②-II until the representation is confirmed ended — whether or not flags are set. A
    target with no assessed case yet is removed too (when in doubt, protect)."""
    cases = list(cases)
    if not cases:
        return True
    return any(case.case_type in _SECOND_CASES and not rules.procedures_complete(case) for case in cases)


# Dates are read as booleans: the rule only asks whether each is confirmed.
_NOTICE_COLUMNS = ", ".join(
    f"c.{f} IS NOT NULL" if f.endswith("_on") else f"c.{f}" for f in _NOTICE_FIELDS)


@dataclass(frozen=True)
class NoticeSet:
    """The numbers to remove from お知らせ recipient files (a victim's atena_no and standard
    number alike, ADR 0047), and the id of every protecting target by either number (the
    persons a recipient file matched are audited by id)."""

    excluded: frozenset[str]
    target_ids: dict[str, int]


def notice_set() -> NoticeSet:
    """With one query over the targets and one over the provisional protections. The
    confirmation dates are read as booleans (the rule only asks whether each is confirmed),
    and the rule is evaluated once per distinct combination of cases rather than once per
    target."""
    statuses = [str(s) for s in PROTECTING_STATUSES]
    # Only table and column names from the models are interpolated; the statuses are parameters.
    sql = f"""
        SELECT t.atena_no, t.standard_atena_no, t.id, {_NOTICE_COLUMNS}
          FROM {_TARGETS} t
          LEFT JOIN {_CASES} c ON c.target_id = t.id AND c.active
         WHERE t.status IN (%s, %s)
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, statuses)
        rows = cur.fetchall()
    by_target: dict[str, list] = {}
    target_ids: dict[str, int] = {}
    standard_of: dict[str, str] = {}  # atena_no → the target's standard number, when it has one
    for row in rows:
        bucket = by_target.get(row[0])
        if bucket is None:
            bucket = by_target[row[0]] = []
            target_ids[row[0]] = row[2]
            if row[1] is not None:
                standard_of[row[0]] = row[1]
                target_ids[row[1]] = row[2]
        if row[3] is not None:
            bucket.append(row[3:])
    memo: dict[tuple, bool] = {}
    excluded = []
    for atena_no, cases in by_target.items():
        key = tuple(cases)
        answer = memo.get(key)
        if answer is None:
            answer = memo[key] = notice_must_exclude([_NoticeCase(*c) for c in key])
        if answer:
            excluded.append(atena_no)
            if atena_no in standard_of:  # the same person under the standard systems' number (ADR 0047)
                excluded.append(standard_of[atena_no])
    # A person another department asked to protect is removed while the owner reviews it
    # (ADR 0024): whatever the recorded cases say, that department may know of a left card.
    for atena_no, target_id in ProvisionalProtection.objects.filter(in_force_q(), is_abuser=False).values_list(
            "atena_no", "target_id"):
        excluded.append(atena_no)
        target_ids.setdefault(atena_no, target_id)
    return NoticeSet(excluded=frozenset(excluded), target_ids=target_ids)


def notice_excluded_set() -> frozenset[str]:
    """atena_nos to remove from お知らせ recipient files, with one query."""
    return notice_set().excluded
