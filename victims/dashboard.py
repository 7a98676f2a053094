"""The counts behind the dashboards (ADR 0057): each chart one GROUP BY query, scoped by the
acting user through core.policy (own department for its staff, the municipality for auditors
and system admins). Counts only: no name, no number, no target id leaves this module."""
import datetime
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.policy import Capability, DashboardChart
from core.svg_charts import Chart, Series, Threshold, grouped_columns, line_with_threshold, stacked_bars
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from intermediary import clock
from intermediary.models import Channel, FlagKind, Operation, OperationStatus, UnitType

from .models import PROTECTING_STATUSES, CaseAssessment, CaseType, ReminderKind, Target, TargetStatus
from .reminders import department_reminders

JST = ZoneInfo("Asia/Tokyo")
MONTHS = 12
LAG_DAYS = 30


@dataclass(frozen=True)
class Scope:
    department_id: int | None  # None: the whole municipality

    def targets(self) -> Q:
        return Q() if self.department_id is None else Q(owning_department_id=self.department_id)


# --- the numbers ---------------------------------------------------------------------------

def targets_by_case_and_status(scope: Scope) -> dict[tuple[str, str], int]:
    """{(case type, target status): distinct targets}. A protected target counts under each of
    its active cases; an ended one (released, withdrawn, rejected) under the cases it had."""
    cases = CaseAssessment.objects.filter(
        Q(active=True) | ~Q(target__status__in=PROTECTING_STATUSES),
        target__in=Target.objects.filter(scope.targets()).values("pk"))
    rows = cases.values("case_type", "target__status").annotate(n=Count("target", distinct=True))
    return {(r["case_type"], r["target__status"]): r["n"] for r in rows}


def month_starts(today: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """The first days of the last `months` months, oldest first, this month last."""
    first, out = today.replace(day=1), []
    for _ in range(months):
        out.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return out[::-1]


def decisions_per_month(scope: Scope, today: datetime.date) -> dict[tuple[datetime.date, str], int]:
    """{(month, set|release): approvals} over the last 12 months (Japan time), of requests the
    department made (its own work) or of the whole municipality."""
    start = timezone.make_aware(datetime.datetime.combine(month_starts(today)[0], datetime.time()), JST)
    department = Q() if scope.department_id is None else Q(department_id=scope.department_id)
    rows = (ChangeRequest.objects.filter(department, status=ChangeStatus.APPROVED, decided_at__gte=start,
                                         action__in=[ChangeAction.SET, ChangeAction.RELEASE])
            .annotate(month=TruncMonth("decided_at", tzinfo=JST)).values("month", "action")
            .annotate(n=Count("pk")))
    return {(_as_date(r["month"]), r["action"]): r["n"] for r in rows}


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, JST).date() if timezone.is_aware(value) else value.date()
    return value


def lag_per_day(scope: Scope, today: datetime.date) -> dict[tuple[datetime.date, str], datetime.timedelta]:
    """{(day reflected, flag kind): the longest approval → reflected lag} over the last 30 days
    (Japan time). The operation is written in the approval's transaction, so its creation is
    the approval. Only operations actually sent (not those covered by a newer one)."""
    start = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=LAG_DAYS - 1),
                                                          datetime.time()), JST)
    units = Q() if scope.department_id is None else Q(
        unit_type=UnitType.ATENA,
        unit_key__in=Target.objects.filter(owning_department_id=scope.department_id).values("atena_no"))
    rows = (Operation.objects.filter(units, status=OperationStatus.REFLECTED, covered_by__isnull=True,
                                     reflected_at__gte=start)
            .annotate(day=TruncDate("reflected_at", tzinfo=JST),
                      lag=ExpressionWrapper(F("reflected_at") - F("created_at"), output_field=DurationField()))
            .values("day", "flag_kind").annotate(longest=Max("lag")))
    return {(_as_date(r["day"]), r["flag_kind"]): _as_timedelta(r["longest"]) for r in rows}


def _as_timedelta(value: object) -> datetime.timedelta:
    if isinstance(value, datetime.timedelta):
        return value
    return datetime.timedelta(microseconds=int(str(value or 0)))  # SQLite returns microseconds


def reflection_deadline(flag_kind: str) -> datetime.timedelta:
    """The window rule (DOMAIN §4) for the channel in use: web service, at once (drawn at the
    failing-alert setting, the delay after which someone is told); XML, 自動応答不可 within one
    interval (5 minutes) and 不開示該当 within a day."""
    if settings.INTERMEDIARY_CHANNEL != Channel.XML_BATCH:
        return datetime.timedelta(seconds=settings.DELIVERY_FAILING_ALERT_AFTER_SECONDS)
    if flag_kind == FlagKind.NO_AUTO_RESPONSE:
        return datetime.timedelta(minutes=settings.INTERMEDIARY_INTERVAL_MINUTES)
    return datetime.timedelta(days=1)


def reminders_by_kind(department_id: int, *, for_approvers: bool, today: datetime.date) -> Counter[str]:
    """How many reminders of each kind are due: counted, not listed (no person shown)."""
    return Counter(r.kind for r in department_reminders(department_id, until=today, for_approvers=for_approvers))


# --- the pictures --------------------------------------------------------------------------

def _targets_chart(scope: Scope) -> Chart:
    counts = targets_by_case_and_status(scope)
    statuses = list(TargetStatus)
    cases = list(CaseType)
    return stacked_bars(
        "chart-targets", title="類型別・状態別の設定対象者数",
        description="類型（①-I、②-I、②-II）ごとの設定対象者の人数を、状態（登録承認待ち、設定中、解除済み など）に"
                    "分けて積み上げた横棒グラフです。一人に複数の類型があるときは、それぞれの類型に数えます。",
        categories=[c.label.split(" ")[0] for c in cases], category_header="類型",
        series=[Series(s.label, [counts.get((c.value, s.value), 0) for c in cases]) for s in statuses])


def _monthly_chart(scope: Scope, today: datetime.date) -> Chart:
    counts = decisions_per_month(scope, today)
    months = month_starts(today)
    return grouped_columns(
        "chart-monthly", title="月別の設定・解除の承認件数（直近12か月）",
        description="直近12か月の各月に承認された設定と解除の件数を、月ごとに並べた縦棒グラフです。",
        categories=[f"{m.year}年{m.month}月" for m in months], category_header="月",
        axis_labels=[f"{m.month}月" if m.month != 1 and i else f"{m.year}年{m.month}月" for i, m in enumerate(months)],
        series=[Series(label, [counts.get((m, action), 0) for m in months])
                for action, label in ((ChangeAction.SET, "設定"), (ChangeAction.RELEASE, "解除"))])


def _lag_charts(scope: Scope, today: datetime.date) -> list[Chart]:
    lags = lag_per_day(scope, today)
    days = [today - datetime.timedelta(days=n) for n in range(LAG_DAYS - 1, -1, -1)]
    charts = []
    for kind in FlagKind:
        deadline = reflection_deadline(kind.value)
        in_hours = deadline >= datetime.timedelta(hours=2)
        unit, size = ("時間", 3600.0) if in_hours else ("分", 60.0)
        values: list[float | None] = [round(lags[(d, kind.value)].total_seconds() / size, 1)
                                      if (d, kind.value) in lags else None for d in days]
        charts.append(line_with_threshold(
            f"chart-lag-{kind.value.lower().replace('_', '-')}",
            title=f"{kind.label}：承認から反映までの最長時間（日別、直近30日）",
            description=(f"直近30日の各日に中間サーバーへ反映された{kind.label}の操作のうち、承認から反映までに"
                         f"最も長くかかった時間を結んだ折れ線です。赤い破線は反映の期限の目安"
                         f"（{_deadline_text(deadline)}）で、これを超えた日は赤い四角で示します。反映のない日は線が途切れます。"),
            categories=[f"{d.month}/{d.day}" for d in days], category_header="日",
            series=[Series("最長の所要時間", values)], unit=unit,
            threshold=Threshold(round(deadline.total_seconds() / size, 1),
                                f"反映の期限の目安（{_deadline_text(deadline)}）")))
    return charts


def _deadline_text(deadline: datetime.timedelta) -> str:
    seconds = int(deadline.total_seconds())
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}日"
    if seconds >= 3600:
        return f"{seconds // 3600}時間"
    return f"{seconds // 60}分"


def _reminders_chart(actor: Staff, department_id: int, today: datetime.date) -> Chart:
    counts = reminders_by_kind(department_id, for_approvers=policy.allows(actor, Capability.DECIDE),
                               today=today)
    kinds = list(ReminderKind)
    return stacked_bars(
        "chart-reminders", title="期限の来た確認事項（種類別）",
        description="今日までに期限の来た確認事項（リマインダー）の件数を種類ごとに示した横棒グラフです。"
                    "一件ずつの内容はホーム画面の一覧で確認できます。",
        categories=[k.label.split("：")[0] for k in kinds], category_header="種類",
        series=[Series("件数", [counts.get(k.value, 0) for k in kinds])])


def dashboard_for(*, actor: Staff) -> dict[str, object]:
    """The charts `actor` may see (core.policy.dashboard_charts), of its scope. Audited as a
    view of counts (no target ids: none is shown)."""
    charts = policy.dashboard_charts(actor)
    scope = Scope(policy.counts_department(actor))
    today = timezone.localdate(clock.now(), JST)
    out: dict[str, object] = {"scope_department": actor.department if scope.department_id else None,
                              "today": today, "charts": [c.value for c in sorted(charts, key=lambda c: c.value)]}
    if DashboardChart.TARGETS in charts:
        out["targets"] = _targets_chart(scope)
    if DashboardChart.MONTHLY in charts:
        out["monthly"] = _monthly_chart(scope, today)
    if DashboardChart.LAG in charts:
        out["lag"] = _lag_charts(scope, today)
    if DashboardChart.REMINDERS in charts and actor.department_id is not None:  # policy: staff have one
        out["reminders"] = _reminders_chart(actor, actor.department_id, today)
    audit_record(actor=actor, action=AuditAction.DASHBOARD_VIEW,
                 detail={"charts": out["charts"], "department_id": scope.department_id})
    return out
