"""What approving a pending request would change (issue 12): the cases in force afterwards,
their measures and the flags to set or clear at the intermediate server. The approver reads
it on the queue and on the confirmation page, so that no detail page has to be opened to
know what a click does. The same rules as the approval itself (rules.required_measures via
measures_for / measures_after, the desired-flag comparison of desired_flags_apply)."""
from dataclasses import dataclass, field

from django.conf import settings
from django.core.paginator import Page, Paginator

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.policy import Capability
from flags import rules
from flags.models import ChangeAction, ChangeRequest
from flags.selectors import approval_queue
from intermediary.flag_kinds import LABELS as FLAG_LABELS
from intermediary.selectors import flag_states_for_unit

from .amendments import AmendmentInput, case_from_input, measures_after
from .forms import case_label
from .models import Amendment, CaseAssessment, Target
from .selectors import object_id, refuse, target_id_of_change_request
from .services import measures_for


@dataclass(frozen=True)
class FlagChange:
    label: str
    set: bool  # True: 設定する, False: 解除する


@dataclass
class DecisionPreview:
    after: list[CaseAssessment]  # the cases in force once approved
    ending: list[CaseAssessment] = field(default_factory=list)  # a release's cases
    added: list[CaseAssessment] = field(default_factory=list)  # an amendment's cases (unsaved)
    measures: rules.Measures = field(default_factory=rules.Measures)
    flag_changes: list[FlagChange] = field(default_factory=list)

    @property
    def abuser_count(self) -> int:
        return len(self.measures.code_on_abusers)

    # With the abusers' 宛名番号 (the confirmation page, a read of the person) ...
    def labels(self) -> dict[str, list[str]]:
        return {k: [case_label(c) for c in cases] for k, cases in self._lists().items()}

    # ... or the case types only (the queue).
    def types(self) -> dict[str, list[str]]:
        return {k: [c.get_case_type_display() for c in cases] for k, cases in self._lists().items()}

    def _lists(self) -> dict[str, list[CaseAssessment]]:
        return {"after": self.after, "ending": self.ending, "added": self.added}


def _flag_changes(target: Target, wanted: frozenset[str]) -> list[FlagChange]:
    """As desired_flags_apply decides: a flag whose desired value moves; none to clear a flag never set."""
    changes = []
    for state in flag_states_for_unit(target.atena_no):
        want = state.flag_kind in wanted
        if state.desired_at is not None and state.desired == want:
            continue
        if not want and state.desired_at is None:
            continue
        changes.append(FlagChange(FLAG_LABELS[state.flag_kind], want))
    return changes


def decision_preview(change_request: ChangeRequest) -> DecisionPreview:
    """For a pending request whose target the caller has already authorised (and audited)."""
    target = change_request.target
    active = list(CaseAssessment.objects.filter(target=target, active=True).order_by("pk"))
    ending: list[CaseAssessment] = []
    added: list[CaseAssessment] = []
    if change_request.action == ChangeAction.RELEASE:
        ending_ids = set(change_request.release_cases.values_list("pk", flat=True))
        ending = [c for c in active if c.pk in ending_ids]
        after = [c for c in active if c.pk not in ending_ids]
        measures = rules.required_measures(after, settings.FLAG_POLICY)
    elif change_request.action == ChangeAction.AMEND:
        amendment = Amendment.objects.filter(change_request=change_request).first()
        data = AmendmentInput.from_json(amendment.requested) if amendment else AmendmentInput(reason="")
        added = [case_from_input(target, c) for c in data.cases]
        after = [*active, *added]
        measures = measures_after(target, data)
    else:  # a set keeps its cases; a transfer changes no measure
        after = active
        measures = measures_for(target)
    return DecisionPreview(
        after=after, ending=ending, added=added, measures=measures,
        flag_changes=[] if change_request.action == ChangeAction.TRANSFER else _flag_changes(
            target, measures.victim_flags),
    )


QUEUE_PAGE_SIZE = 50


def queue_with_previews(*, actor: Staff, page: int | str | None = 1) -> Page[ChangeRequest]:
    """A page of the approver's queue (2,000 pending are 1.9 MB on one page: issue 14), each
    request with its preview, computed for the page only. It shows the cases of each person, so
    it is recorded as a listing naming the page's people (detail["target_ids"])."""
    paginator: Paginator[ChangeRequest] = Paginator(approval_queue(actor=actor).select_related("target"),
                                                    QUEUE_PAGE_SIZE)
    shown = paginator.get_page(page)
    requests = list(shown.object_list)
    for cr in requests:
        cr.preview = decision_preview(cr)  # shown beside the request
    audit_record(actor=actor, action=AuditAction.CHANGE_REQUEST_QUEUE,
                 detail={"target_ids": sorted({cr.target_id for cr in requests}), "page": shown.number,
                         "total": paginator.count})
    return Page(requests, shown.number, paginator)


def decision_for(*, actor: Staff, change_request_id: object) -> tuple[ChangeRequest, DecisionPreview]:
    """A pending request the actor decides, for its confirmation page; anything else (absent,
    decided, another department's): the same NotFound, audited. Recorded as a read of the person."""
    policy.require(actor, Capability.DECIDE)
    target_id = target_id_of_change_request(actor=actor, change_request_id=change_request_id,
                                            action=AuditAction.CHANGE_REQUEST_DECIDE)
    cr = (ChangeRequest.objects
          .filter(policy.decision_scope(actor), pk=object_id(change_request_id) or 0, target_id=target_id)
          .select_related("target", "requested_by", "department", "transfer_to").first())
    if cr is None:  # visible to the department, but not a pending request it decides
        raise refuse(actor=actor, action=AuditAction.CHANGE_REQUEST_DECIDE, target_id=target_id,
                     detail={"change_request_id": change_request_id})
    preview = decision_preview(cr)
    audit_record(actor=actor, action=AuditAction.TARGET_READ, target_id=target_id, detail={"via": "decision"})
    return cr, preview
