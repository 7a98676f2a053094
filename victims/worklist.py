"""The department's worklist (ADR 0038): its targets (owned and granted) with filters,
a search by name or kana, and pages of WORKLIST_PAGE_SIZE.

Filters (status, case type, "reminders due") name no person and may travel in a GET query;
the name search carries a person's name and so comes only in a POST body (never a URL, a
browser history or an access log). It looks among the targets the department owns, never
those it was granted: finding someone by name is the owner's work, and a granted department
reaches its shared cases through the list. The audit event of a search never holds what was
typed, only which people the page showed.

One page costs the same number of queries whatever its size: the cases and the owning
department come with the page (prefetch, select_related), the reminders are those of the
page's people (all of the department's only for the "reminders due" filter, which chooses
the people by them)."""
import datetime
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import DomainError, Forbidden, ValidationFailed
from core.normalize import normalize_kana, normalize_name, refuse_control_characters
from core.policy import Capability

from .models import CaseAssessment, CaseType, Target, TargetStatus
from .reminders import Reminder, department_reminders
from .selectors import visible_targets

WORKLIST_PAGE_SIZE = 50
SEARCH_MAX = 100  # the name columns' length
PAGE_MAX = 100_000
_FULL_SPACE = "\u3000"


@dataclass(frozen=True)
class WorklistQuery:
    status: str = ""
    case_type: str = ""
    reminders_due: bool = False
    search: str = ""  # name or kana, as typed (normalised when searched); never logged
    page: int = 1

    @property
    def filters(self) -> dict[str, object]:
        """What the audit event may say about the query: the filters, never the search text."""
        return {"status": self.status, "case_type": self.case_type, "reminders_due": self.reminders_due,
                "page": self.page}


@dataclass
class WorklistRow:
    target: Target
    case_types: list[str]
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def reminder_kinds(self) -> list[str]:
        return sorted({r.kind for r in self.reminders})


@dataclass
class WorklistPage:
    rows: list[WorklistRow]
    page: Page
    count: int
    query: WorklistQuery


def _truthy(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def parse_worklist_query(params: Mapping[str, object], *, search: object = None) -> WorklistQuery:
    """The query from a GET's parameters (filters and page) and, for a search, the POSTed
    text. Every error at once, in Japanese, keyed by the parameter."""
    errors: dict[str, str] = {}
    status = str(params.get("status") or "")
    if status and status not in TargetStatus.values:
        errors["status"] = "状態は " + "・".join(TargetStatus.values) + " のいずれかで指定してください。"
    case_type = str(params.get("case_type") or "")
    if case_type and case_type not in CaseType.values:
        errors["case_type"] = "類型は 1-I、2-I、2-II のいずれかで指定してください。"
    raw_page = params.get("page") or 1
    try:
        page = int(str(raw_page))
    except ValueError:
        page = 0
    if not 1 <= page <= PAGE_MAX:
        errors["page"] = "ページ番号は1以上の整数で指定してください。"
        page = 1
    if search is None and params.get("name"):
        # A name in a query string lands in access logs and browser histories: refused, so
        # that no client comes to rely on it.
        errors["name"] = "氏名での検索は URL に載せず、検索フォーム（POST /api/v1/targets/search/）で行ってください。"
    text = "" if search is None else str(search).strip()
    if search is not None and not isinstance(search, str):
        errors["name"] = "検索する氏名は文字列で指定してください。"
        text = ""
    elif search is not None and not text:
        errors["name"] = "検索する氏名または氏名（カナ）を入力してください。"
    elif len(text) > SEARCH_MAX:
        errors["name"] = f"検索する氏名は{SEARCH_MAX}文字以内で入力してください。"
    else:
        try:
            refuse_control_characters(text, "name", "検索する氏名")
        except DomainError as exc:
            errors["name"] = exc.message
    if errors:
        raise ValidationFailed(errors)
    return WorklistQuery(status=status, case_type=case_type, reminders_due=_truthy(params.get("reminders_due")),
                         search=text, page=page)


def _without_spaces(text: str) -> str:
    return text.replace(_FULL_SPACE, "").replace(" ", "")


def _name_search(qs: QuerySet[Target], text: str) -> QuerySet[Target]:
    """Part of the name, or of the kana, typed in any width or in hiragana, spaces ignored: the
    text is normalised the way intake normalised the stored names, then compared without spaces."""
    name = _without_spaces(normalize_name(text))
    try:
        kana = _without_spaces(normalize_kana(text))
    except DomainError:  # not kana: it can only be part of the name
        kana = ""
    qs = qs.annotate(_name=Replace("name", Value(_FULL_SPACE), Value("")),
                     _kana=Replace("name_kana", Value(_FULL_SPACE), Value("")))
    condition = Q(_name__contains=name)
    return qs.filter(condition | Q(_kana__contains=kana) if kana else condition)


def worklist_page(*, actor: Staff, query: WorklistQuery, via: str = "screen",
                  today: datetime.date | None = None) -> WorklistPage:
    """One page of the actor's department's targets, newest first. Recorded as a listing of
    the people shown (target.department_list), or, for a name search, as a search
    (target.name_search) naming the people found and never what was typed."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    department_id = actor.department_id
    if department_id is None:  # policy already refused such an actor; this keeps the type honest
        raise Forbidden(policy.refusal_message(Capability.HANDLE_VICTIMS))
    today = today or timezone.localdate()
    if query.search:
        qs = _name_search(Target.objects.filter(policy.owned_target_scope(actor)), query.search)
    else:
        qs = visible_targets(actor)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.case_type:
        qs = qs.filter(Exists(CaseAssessment.objects.filter(target=OuterRef("pk"), active=True,
                                                            case_type=query.case_type)))
    def due_by_target(target_ids: list[int] | None) -> dict[int, list[Reminder]]:
        due: dict[int, list[Reminder]] = defaultdict(list)
        for reminder in department_reminders(department_id, until=today, target_ids=target_ids,
                                             for_approvers=policy.allows(actor, Capability.DECIDE)):
            due[reminder.target_id].append(reminder)
        return due

    # "Reminders due" needs every reminder of the department to choose the people; otherwise
    # only the page's people's are read, once the page is known (issue 14).
    due = due_by_target(None) if query.reminders_due else {}
    if query.reminders_due:
        qs = qs.filter(pk__in=sorted(due))
    qs = (qs.select_related("owning_department")
          .prefetch_related(Prefetch("cases", queryset=CaseAssessment.objects.filter(active=True).order_by("pk"),
                                     to_attr="active_cases"))
          .order_by("-created_at", "-id"))
    paginator = Paginator(qs, WORKLIST_PAGE_SIZE, allow_empty_first_page=True)
    page = paginator.page(min(query.page, paginator.num_pages))
    if not query.reminders_due:
        due = due_by_target([t.pk for t in page.object_list])
    rows = [WorklistRow(target=t, case_types=sorted({c.case_type for c in t.active_cases}),
                        reminders=due.get(t.pk, [])) for t in page.object_list]
    shown = [row.target.pk for row in rows]
    action = AuditAction.TARGET_NAME_SEARCH if query.search else AuditAction.TARGET_DEPARTMENT_LIST
    audit_record(actor=actor, action=action,
                 detail={"via": via, "count": len(shown), "total": paginator.count, "target_ids": shown,
                         **query.filters})
    return WorklistPage(rows=rows, page=page, count=paginator.count, query=query)
