"""決裁票: the printable record of one change request's decision (ADR 0028).

What a slip prints for each kind of request is data (SLIP_KINDS): the 件名, whose request it
is, which cases it concerns and which cases' measures hold once it is decided. The requests
that exist today are a set (registration), a release and the withdrawal of a registration
(ADR 0016), an amendment (ADR 0030, with its before/after for the owning department) and a
transfer of ownership (ADR 0034); a provision decision has its own slip (ADR 0036).
A grant or revoke is no ChangeRequest: its slip is victims.grant_slips (a GrantRecord)."""
import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.policy import Capability
from flags import rules
from flags.models import ChangeAction, ChangeRequest, ChangeStatus

from .amendments import ChangeRow, amendment_cases, change_rows
from .forms import case_label
from .models import Amendment, CaseAssessment
from .selectors import target_id_of_change_request

CaseSelector = Callable[[ChangeRequest, list[CaseAssessment]], list[CaseAssessment]]


def _all_cases(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    return cases


def _released_cases(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    released = {c.pk for c in cr.release_cases.all()}
    return [c for c in cases if c.pk in released]


def _remaining_after_release(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    released = {c.pk for c in cr.release_cases.all()}
    return [c for c in cases if c.active and c.pk not in released]


def _active_cases(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    return [c for c in cases if c.active]


def _none(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    return []


def _amendment_of(cr: ChangeRequest) -> Amendment | None:
    return Amendment.objects.select_related("target", "change_request").prefetch_related("added_cases").filter(
        change_request=cr).first()


def _added_cases(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    amendment = _amendment_of(cr)
    return amendment_cases(amendment) if amendment is not None else []


def _after_amendment(cr: ChangeRequest, cases: list[CaseAssessment]) -> list[CaseAssessment]:
    """The active cases and, until approval made them rows, the ones the amendment adds."""
    amendment = _amendment_of(cr)
    added = amendment_cases(amendment) if amendment is not None and amendment.after is None else []
    return [c for c in cases if c.active] + added


@dataclass(frozen=True)
class SlipKind:
    title: str  # 件名
    applicant_field: str  # the ChangeRequest field naming who asked
    applied_at_field: str
    cases_heading: str
    cases: CaseSelector  # the cases the request is about
    resulting: CaseSelector  # the cases whose measures hold once it is approved
    resulting_heading: str
    resulting_none: str  # what to print when no measure remains


SLIP_KINDS: dict[str, SlipKind] = {
    "set": SlipKind(
        title="設定対象者の登録（不開示等の設定）", applicant_field="requested_by", applied_at_field="requested_at",
        cases_heading="類型", cases=_all_cases, resulting=_all_cases,
        resulting_heading="承認により必要となる措置", resulting_none="措置なし"),
    "release": SlipKind(
        title="設定対象者の解除", applicant_field="requested_by", applied_at_field="requested_at",
        cases_heading="解除する類型", cases=_released_cases, resulting=_remaining_after_release,
        resulting_heading="解除後も必要な措置（他の有効な類型による）",
        resulting_none="措置なし（すべての類型が解除され、設定対象者から外れます）"),
    "amend": SlipKind(
        title="設定内容の変更（類型の追加・登録内容の訂正）", applicant_field="requested_by",
        applied_at_field="requested_at", cases_heading="追加する類型", cases=_added_cases,
        resulting=_after_amendment, resulting_heading="変更後に必要となる措置",
        resulting_none="措置なし"),
    "withdraw": SlipKind(
        title="設定対象者の登録の取下げ", applicant_field="withdrawal_requested_by",
        applied_at_field="withdrawal_requested_at",
        cases_heading="取り下げる登録の類型", cases=_all_cases, resulting=_none,
        resulting_heading="取下げ後の措置", resulting_none="措置なし（設定対象者から外れ、保護されなくなります）"),
    "transfer": SlipKind(
        title="設定対象者の所管の移管", applicant_field="requested_by", applied_at_field="requested_at",
        cases_heading="類型", cases=_active_cases, resulting=_active_cases,
        resulting_heading="移管後も引き続き必要な措置（移管では変わりません）", resulting_none="措置なし"),
}


def slip_kind_of(cr: ChangeRequest) -> str:
    """A registration whose withdrawal was asked for (and not overruled by approving it) is
    decided as a withdrawal; everything else by its action."""
    if cr.action == ChangeAction.SET and cr.withdrawal_requested_at and cr.status != ChangeStatus.APPROVED:
        return "withdraw"
    return str(cr.action)


_DECIDED_LABEL = {ChangeStatus.APPROVED: "承認日", ChangeStatus.REJECTED: "却下日", ChangeStatus.WITHDRAWN: "取下げ日"}
_DECIDER_LABEL = {ChangeStatus.REJECTED: "却下者", ChangeStatus.WITHDRAWN: "取下げを承認した所属長"}


@dataclass(frozen=True)
class Slip:
    change_request: ChangeRequest
    kind: SlipKind
    municipality: str
    department: str
    applicant: Staff | None
    applied_at: datetime.datetime | None
    approver: Staff | None
    decided_at: datetime.datetime | None
    decided_label: str
    decider_label: str
    case_labels: list[str]
    measures: rules.Measures | None  # None: no measure remains
    reasons: list[tuple[str, str]]
    # An amendment's before/after (ADR 0032): printed for the owning department only.
    changes: list[ChangeRow] = dataclasses.field(default_factory=list)

    @property
    def file_stem(self) -> str:
        """The only name a saved copy gets (page title, download): ids, never a person."""
        return f"kessai-{self.change_request.pk}"


def change_request_slip(*, actor: Staff, change_request_id: int) -> Slip:
    """The slip of a change request whose target the actor's department owns or was granted
    (anything else: the same NotFound, audited). Showing it is recorded as a read of the person."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    target_id = target_id_of_change_request(actor=actor, change_request_id=change_request_id,
                                            action=AuditAction.CHANGE_REQUEST_SLIP)
    cr = (ChangeRequest.objects.select_related("target", "department", "requested_by", "decided_by",
                                               "withdrawal_requested_by", "transfer_to")
          .prefetch_related("release_cases").get(pk=change_request_id, target_id=target_id))
    kind = SLIP_KINDS[slip_kind_of(cr)]
    cases = list(CaseAssessment.objects.filter(target_id=target_id).order_by("pk"))
    resulting = kind.resulting(cr, cases)
    transfer = kind is SLIP_KINDS["transfer"]
    reasons = [(label, text) for label, text in (
        ("移管先の所属", cr.transfer_to.name if cr.transfer_to else ""),
        ("解除理由", rules.RELEASE_REASONS.get(cr.release_reason, "")),
        ("変更の理由" if cr.action == ChangeAction.AMEND else "移管の理由" if transfer else "申請の補足", cr.comment),
        ("取下げの理由", cr.withdrawal_reason if kind is SLIP_KINDS["withdraw"] else ""),
        ("判断の理由・意見", cr.decision_reason if cr.decision_reason != cr.withdrawal_reason else ""),
    ) if text]
    amendment = _amendment_of(cr) if cr.action == ChangeAction.AMEND else None
    changes = (change_rows(amendment) if amendment is not None and policy.sees_amendment_history(
        actor, owning_department_id=cr.target.owning_department_id) else [])
    audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_SLIP, target_id=target_id,
                 detail={"change_request_id": cr.pk, "via": "screen"})
    return Slip(
        change_request=cr, kind=kind, municipality=settings.MUNICIPALITY_NAME, department=cr.department.name,
        applicant=getattr(cr, kind.applicant_field), applied_at=getattr(cr, kind.applied_at_field),
        approver=cr.decided_by, decided_at=cr.decided_at if cr.status != ChangeStatus.PENDING else None,
        decided_label=_DECIDED_LABEL.get(ChangeStatus(cr.status), "承認日"),
        decider_label=_DECIDER_LABEL.get(ChangeStatus(cr.status), "承認者"),
        case_labels=[case_label(c) for c in kind.cases(cr, cases)],
        measures=rules.required_measures(resulting, settings.FLAG_POLICY) if resulting else None,
        reasons=reasons, changes=changes,
    )
