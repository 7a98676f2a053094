"""The annual count of targets as of 12月1日 (DOMAIN §7, national survey practice; ADR 0058):
by department, by status and by case type — computed from the protection periods and the
cases' own start and end, never from today's status, so last year's report reads the same
after this year's releases. Counts only; the read is audited. One table feeds the screen,
the CSV and the xlsx (core.tabular)."""
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Department, Staff
from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal
from core import policy
from core.errors import Forbidden
from core.tabular import Column, Kind, Table
from flags.models import ChangeAction, ChangeRequest, ChangeStatus

from .models import CaseAssessment, CaseType, Target, TargetStatus

JST = ZoneInfo("Asia/Tokyo")
REFUSAL = "12月1日現在の件数報告は、設定対象者を扱う所属の職員と監査担当のみ閲覧できます。"
_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def as_of_moment(year: int) -> datetime.datetime:
    """「12月1日現在」: the state at the end of 1 December (Japan time), i.e. just before
    2 December 00:00 — a person registered or released during the 1st counts as on that day's
    evening."""
    return datetime.datetime(year, 12, 2, tzinfo=JST) - datetime.timedelta(microseconds=1)


def latest_report_year(today: datetime.date) -> int:
    """The most recent 12月1日 that has passed (or is today)."""
    return today.year if (today.month, today.day) >= (12, 1) else today.year - 1


def cases_protecting_at(moment: datetime.datetime) -> QuerySet[CaseAssessment]:
    """The cases in force at `moment`: begun, not ended, and in a protection period open then.
    A target never registered again has no period rows: its one period ends when its
    registration was rejected or withdrawn (its cases keep active=True then, ADR 0029) or when
    its cases were released (their ended_at). A reopened target's periods carry their own end.
    Each case is annotated with the target's status and department as they were then."""
    registration_closed = ChangeRequest.objects.filter(
        target=OuterRef("target"), action=ChangeAction.SET,
        status__in=[ChangeStatus.REJECTED, ChangeStatus.WITHDRAWN], decided_at__lte=moment)
    in_period = (Q(period__isnull=False) & Q(period__started_at__lte=moment)
                 & (Q(period__ended_at__isnull=True) | Q(period__ended_at__gt=moment))) | (
        Q(period__isnull=True) & ~Exists(registration_closed))
    # Approved by then, within this period (an earlier period's approval does not make a new
    # registration 設定中).
    approved = ChangeRequest.objects.filter(
        target=OuterRef("target"), action=ChangeAction.SET, status=ChangeStatus.APPROVED,
        decided_at__lte=moment, decided_at__gte=OuterRef("period_start"))
    # The owner then: a transfer approved after the moment was asked by the owner of that time.
    later_transfer = (ChangeRequest.objects.filter(target=OuterRef("target"), action=ChangeAction.TRANSFER,
                                                   status=ChangeStatus.APPROVED, decided_at__gt=moment)
                      .order_by("decided_at").values("department_id")[:1])
    return (CaseAssessment.objects.filter(in_period, created_at__lte=moment)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=moment))
            .annotate(period_start=Coalesce(F("period__started_at"), Value(_EPOCH)))
            .annotate(approved_then=Exists(approved),
                      department_then=Coalesce(Subquery(later_transfer), F("target__owning_department_id"),
                                               output_field=BigIntegerField())))


@dataclass(frozen=True)
class ReportRow:
    department_code: str
    department_name: str
    total: int
    active: int
    pending: int
    by_case: dict[str, int]


COLUMNS = (
    Column("所属コード", Kind.ID, 12), Column("所属名", width=24), Column("設定対象者数（計）", Kind.NUMBER, 18),
    Column(f"うち{TargetStatus.ACTIVE.label}", Kind.NUMBER, 12),
    Column(f"うち{TargetStatus.PENDING.label}", Kind.NUMBER, 16),
    *[Column(f"類型 {c.label.split(' ')[0]}", Kind.NUMBER, 12) for c in CaseType],
)


def _counts(moment: datetime.datetime, department_id: int | None) -> list[ReportRow]:
    # Any: the stubs do not follow the annotations (department_then, approved_then) through the return type.
    cases: Any = cases_protecting_at(moment)
    if department_id is not None:
        cases = cases.filter(department_then=department_id)
    people = {(r["department_then"], r["approved_then"]): r["n"] for r in
              cases.values("department_then", "approved_then").annotate(n=_distinct_targets())}
    by_case = {(r["department_then"], r["case_type"]): r["n"] for r in
               cases.values("department_then", "case_type").annotate(n=_distinct_targets())}
    ids = {d for d, _ in people} | ({department_id} if department_id is not None else set())
    departments = Department.objects.filter(pk__in=ids).order_by("code")
    return [ReportRow(department_code=d.code, department_name=d.name,
                      total=people.get((d.pk, True), 0) + people.get((d.pk, False), 0),
                      active=people.get((d.pk, True), 0), pending=people.get((d.pk, False), 0),
                      by_case={c.value: by_case.get((d.pk, c.value), 0) for c in CaseType})
            for d in departments]


def _distinct_targets() -> Count:
    return Count("target", distinct=True)


@dataclass(frozen=True)
class AnnualReport:
    year: int
    as_of: datetime.datetime
    rows: list[ReportRow]
    whole_municipality: bool

    @property
    def total(self) -> ReportRow:
        return ReportRow("", "合計", sum(r.total for r in self.rows), sum(r.active for r in self.rows),
                         sum(r.pending for r in self.rows),
                         {c.value: sum(r.by_case[c.value] for r in self.rows) for c in CaseType})

    def table_rows(self) -> Iterator[list[object]]:
        for r in [*self.rows, self.total]:
            yield [r.department_code, r.department_name, r.total, r.active, r.pending,
                   *[r.by_case[c.value] for c in CaseType]]

    def table(self) -> Table:
        return Table(COLUMNS, self.table_rows(), sheet=f"{self.year}年12月1日現在")


def annual_report(*, actor: Staff, year: int, output: str = "screen") -> AnnualReport:
    """The counts as of 12月1日 of `year` that `actor` may see (core.policy): its department's
    row for department staff, every department for auditors. Audited, refusals too."""
    if not policy.may_read_annual_report(actor):
        audit_refusal(actor=actor, action=AuditAction.ANNUAL_REPORT_READ, detail={"year": year, "output": output})
        raise Forbidden(REFUSAL)
    department_id = policy.counts_department(actor)
    moment = as_of_moment(year)
    report = AnnualReport(year=year, as_of=moment, rows=_counts(moment, department_id),
                          whole_municipality=department_id is None)
    audit_record(actor=actor, action=AuditAction.ANNUAL_REPORT_READ,
                 detail={"year": year, "output": output, "department_id": department_id})
    return report


def report_years(today: datetime.date) -> list[int]:
    """The years offered: from the first registration's year to the latest 12月1日, newest first."""
    first = Target.objects.order_by("created_at").values_list("created_at", flat=True).first()
    latest = latest_report_year(today)
    start = min(timezone.localtime(first, JST).year, latest) if first else latest
    return list(range(latest, start - 1, -1))
