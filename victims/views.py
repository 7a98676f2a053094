"""Screens for intake, target detail (with procedure confirmation and release request),
exact search and the shared minimal list. Thin: services and selectors do the work."""
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from accounts.models import Department
from accounts.selectors import approver_routing, has_active_approver
from audit import selectors as audit_selectors
from audit.actions import AuditAction
from audit.actor_names import with_display_names
from audit.forms import WhoHasSeenForm
from core import policy
from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from core.newest import Newest, newest
from core.normalize import normalize_atena_no
from core.policy import Capability
from core.screens import act, screen
from flags import rules
from flags.models import ChangeStatus
from flags.selectors import change_requests_for_target, decided_here
from intermediary.corrections import corrections_for_target
from intermediary.selectors import delivery_failing_since, flag_states_for_unit

from .amendments import change_rows, majority_reached, measures_after, parse_amendment
from .forms import (
    AmendForm,
    EitherNumberForm,
    IntakeForm,
    NameSearchForm,
    OnwardRequestForm,
    ProcedureConfirmForm,
    ReleaseForm,
    SharedListSearchForm,
    WorklistFilterForm,
    case_label,
)
from .grant_slips import grant_records_for_target
from .intake import intake_from_json, parse_intake
from .intake_drafts import initial_from, intake_draft_discard, intake_draft_for
from .models import Amendment, Basis, CaseType, HarmType, LegalRepresentative, RequestOrigin, TargetStatus
from .onward import (
    onward_request_confirm,
    onward_request_issue,
    onward_request_letter,
    onward_requests_for,
    open_onward_count,
)
from .provisions import provision_decisions_for
from .selectors import (
    SHARED_LIST_PAGE_SIZE,
    amendments_for_target,
    notice_acknowledgements_for_target,
    notices_overdue_for_auditor,
    protection_periods,
    refuse,
    registration_get_for_user,
    target_get_for_user,
    target_granted_departments,
    target_id_for_auditor,
    target_search_by_atena,
    target_shared_list,
    visible_targets,
)
from .services import (
    AMENDMENT_ACTIVE_ONLY,
    AMENDMENT_PENDING,
    REGISTRATION_ACCEPTED,
    TARGET_REOPENED,
    amendment_request,
    case_confirm_procedure,
    correction_refusal,
    correction_request,
    measures_for,
    notice_acknowledge,
    registration_refusal_record,
    registration_submit,
    release_request_create,
    target_grant_department,
    target_revoke_department,
)
from .worklist import WORKLIST_PAGE_SIZE, parse_worklist_query, worklist_page

_NOT_CARRIED = {"csrfmiddlewaretoken", "step"}


@screen(Capability.HANDLE_VICTIMS)
def intake(request):
    """入力 → 確認 → 受付. The confirm page carries the input in hidden fields and it is
    parsed again on 登録, so what is submitted is exactly what was shown. The answer is the
    receipt, the same whether or not the person is a target already (ADR 0015)."""
    if request.method != "POST":
        return render(request, "victims/intake_form.html", {"form": IntakeForm(), **_routing(request.user),
                                                            "kept_draft": intake_draft_for(staff=request.user)})
    step = request.POST.get("step")
    if step in ("restore_draft", "discard_draft"):
        return _kept_draft(request, step)
    form = IntakeForm(request.POST)
    if step == "edit":
        return _form_page(request, form, status=200)
    form_ok = form.is_valid()
    payload, field_map = form.to_payload()
    if step == "register" and form_ok:
        try:
            receipt = registration_submit(actor=request.user, payload=payload, today=timezone.localdate())
        except ValidationFailed as exc:
            form.add_intake_errors(exc.errors, field_map)
            return _form_page(request, form, status=400)
        intake_draft_discard(staff=request.user)  # registered: the kept input has served
        reopened = receipt.reopened_target
        if reopened is not None:  # the owning department's own person, protected again (ADR 0029)
            messages.success(request, TARGET_REOPENED)
            return redirect("victims:detail", pk=reopened.pk)
        messages.success(request, REGISTRATION_ACCEPTED)
        return redirect("victims:registration", pk=receipt.pk)
    data = None
    try:
        # Parsed even when the form already failed, so every error shows in one round.
        data = parse_intake(payload, today=timezone.localdate())
    except ValidationFailed as exc:
        form.add_intake_errors(exc.errors, field_map)
    if step == "register":  # refused by the form itself (a value too long): audited like any attempt
        registration_refusal_record(actor=request.user, payload=payload, fields=list(form.errors))
    if data is None or not form_ok:
        return _form_page(request, form, status=400)
    return _confirm_page(request, data)


def _kept_draft(request, step):
    """「前回の入力を復元」/「破棄」 of the input kept when the session timed out (ADR 0049)."""
    draft = intake_draft_for(staff=request.user)
    if step == "discard_draft" or draft is None:
        intake_draft_discard(staff=request.user)
        messages.success(request, "前回の入力を破棄しました。" if draft
                         else "前回の入力は保存期間を過ぎたため削除されています。")
        return redirect("victims:intake")
    # Unbound: what was typed comes back as typed, checked again on 「確認へ進む」 like any input.
    form = IntakeForm(initial=initial_from(draft, IntakeForm().fields))
    messages.success(request, "前回の入力を復元しました。内容を確認して「確認へ進む」を押してください。")
    return render(request, "victims/intake_form.html", {"form": form, **_routing(request.user)})


def _form_page(request, form, status):
    form.describe_errors()
    return render(request, "victims/intake_form.html",
                  {"form": form, "has_errors": status == 400, **_routing(request.user)}, status=status)


def _routing(actor) -> dict:
    """Who will approve what this clerk registers, said BEFORE submitting when it is not the
    clerk's own head (ADR 0035): the fallback department, or that nobody can yet."""
    department = actor.department
    if department is None or has_active_approver(department):
        return {}
    return {"routing_department": department, "routing_fallback": approver_routing(department)}


def _summary(data) -> dict:
    """What the clerk typed, labelled for the confirm page and the receipt."""
    return {
        "data": data,
        "harm_labels": [HarmType(h).label for h in data.harm_types if h in HarmType.values],
        "basis_label": Basis(data.basis).label if data.basis in Basis.values else "",
        "origin_label": (RequestOrigin(data.request_origin).label if data.request_origin in RequestOrigin.values
                         else ""),
        "cases": [{"case": c, "label": CaseType(c.case_type).label,
                   "rep_label": LegalRepresentative(c.legal_representative).label if c.legal_representative else ""}
                  for c in data.cases],
    }


def _confirm_page(request, data):
    carried = [(k, v) for k, values in request.POST.lists() if k not in _NOT_CARRIED for v in values]
    return render(request, "victims/intake_confirm.html", {
        **_summary(data),
        **_routing(request.user),
        "carried": carried,
        "measures": rules.required_measures(data.cases, settings.FLAG_POLICY),
        # Accepted without any explanation ticked, but never silently (issue 12).
        "no_explanation": not any(data.explanations.values()),
    })


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def registration(request, pk):
    """The receipt: what the department submitted and 受付済, the same for every outcome."""
    receipt = registration_get_for_user(actor=request.user, registration_id=pk)
    return render(request, "victims/registration.html",
                  {"receipt": receipt, **_summary(intake_from_json(receipt.intake))})


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def department_list(request):
    """The old list: the worklist shows the same targets, with filters and pages (ADR 0038)."""
    url = reverse("victims:worklist")
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


@screen(Capability.HANDLE_VICTIMS)
@require_http_methods(["GET", "HEAD", "POST"])
def worklist(request):
    """GET: the department's targets, filtered (filters in the query: they name no one).
    POST: the same with a search by name or kana, which never travels in a URL."""
    filters = WorklistFilterForm(request.GET or None)
    search_form = NameSearchForm(request.POST or None)
    searching = request.method == "POST"
    params = request.POST if searching else request.GET
    errors: dict[str, str] = {}
    result = None
    try:
        query = parse_worklist_query(params, search=params.get("name", "") if searching else None)
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        result = worklist_page(actor=request.user, query=query)
    for key, message in errors.items():
        form = search_form if key == "name" and searching else filters
        form.add_error(key if key in form.fields else None, message)
    # The filters (never the name) are carried on by the pagination links and the search form.
    filter_query = {k: v for k, v in params.items() if k in WorklistFilterForm.base_fields and v}
    return render(request, "victims/worklist.html", {
        "filters": filters, "search_form": search_form, "searching": searching, "result": result,
        "filter_query": urlencode(filter_query), "filter_items": sorted(filter_query.items()),
        "page_size": WORKLIST_PAGE_SIZE,
    }, status=400 if errors else 200)


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def detail(request, pk):
    target = target_get_for_user(actor=request.user, target_id=pk)
    return _detail_page(request, target)


# The newest rows only of what a person protected for years gathers (issue 14): each decision
# sends a notice to every other linkage department, so notices grow several times faster than
# requests; an amendment is a block of its own (reason and before/after), hence fewer of them.
DETAIL_HISTORY_LIMIT = 50
DETAIL_NOTICE_LIMIT = 60
DETAIL_AMENDMENT_LIMIT = 10


def _detail_page(request, target, status=200, **extra):
    active_cases = [c for c in target.cases.all() if c.active]
    requests = change_requests_for_target(target.pk)
    history = newest(requests, DETAIL_HISTORY_LIMIT)
    for cr in history.rows:
        cr.release_reason_label = rules.RELEASE_REASONS.get(cr.release_reason, "")
    pending = [cr for cr in history.rows if cr.status == ChangeStatus.PENDING]
    if history.more:
        pending += requests.filter(status=ChangeStatus.PENDING).exclude(pk__in=[cr.pk for cr in history.rows])
    corrections = corrections_for_target(target.pk)
    # The head deciding a pending request reads the record (ADR 0033) but works no case on it.
    works_case = visible_targets(request.user).filter(pk=target.pk).exists()
    context = {
        "works_case": works_case,
        "target": target,
        "harm_labels": [HarmType(h).label for h in target.harm_types if h in HarmType.values],
        "case_rows": [_case_row(c) for c in target.cases.all()],
        "measures": measures_for(target),
        "flag_states": flag_states_for_unit(target.atena_no),
        # Delivery to the intermediate server failing for too long (ADR 0060): warn the departments
        # working the case (owner and granted) that the flags are not reflected yet.
        "delivery_failing_since": delivery_failing_since(target.atena_no) if works_case else None,
        "delivery_contact": settings.DELIVERY_FAILING_CONTACT,
        "history": history,
        "pending": pending,
        "can_release": target.status == TargetStatus.ACTIVE and not pending,
        "can_transfer": (target.status == TargetStatus.ACTIVE and not pending
                         and policy.owns(request.user, owning_department_id=target.owning_department_id)),
        "corrections": corrections,
        "can_request_correction": works_case and correction_refusal(target, corrections) is None,
        "release_form": extra.pop("release_form", None) or ReleaseForm(active_cases=active_cases),
        "release_reasons": rules.RELEASE_REASONS,
        "today": timezone.localdate(),
        "is_approver": policy.allows(request.user, Capability.DECIDE),
        # The pending requests this head decides: approved or rejected from here (issue 12).
        "decided_here": decided_here(actor=request.user, target_id=target.pk),
        "notice_receipts": notice_acknowledgements_for_target(actor=request.user, target=target,
                                                              limit=DETAIL_NOTICE_LIMIT),
        **_sharing_context(request.user, target),
        "periods": (protection_periods(target)
                    if policy.owns(request.user, owning_department_id=target.owning_department_id) else []),
        # The contact point's manual-provision decisions on this person, for the owner (ADR 0036).
        "provision_decisions": (provision_decisions_for(actor=request.user, target_id=target.pk, via="target_page")
                                if policy.owns(request.user, owning_department_id=target.owning_department_id)
                                else None),
        **_onward_context(request.user, target),
        **_amendment_context(request.user, target, pending),
        **extra,
    }
    return render(request, "victims/detail.html", context, status=status)


def _onward_context(actor, target) -> dict:
    """The 転出 設定依頼 section, for the owning department only (ADR 0040)."""
    if not policy.owns(actor, owning_department_id=target.owning_department_id):
        return {"is_owner": False}
    return {"is_owner": True, "onward_open": open_onward_count(target)}


def _amendment_context(actor, target, pending) -> dict:
    """The owning department's amendments (pending and decided, with before/after: ADR 0032)
    and whether it may ask for one now; nothing of them for a granted department."""
    amendments = amendments_for_target(actor=actor, target=target, limit=DETAIL_AMENDMENT_LIMIT)
    return {
        "can_amend": (policy.may_amend(actor, owning_department_id=target.owning_department_id)
                      and target.status == TargetStatus.ACTIVE and not pending),
        "amendments": Newest([{"amendment": a, "cr": a.change_request, "rows": change_rows(a)}
                              for a in amendments.rows], amendments.total),
    }


def _sharing_context(actor, target) -> dict:
    """The grants section, for the owning department's head only (policy.may_grant)."""
    if not policy.may_grant(actor, owning_department_id=target.owning_department_id):
        return {"can_share": False}
    granted = target_granted_departments(target)
    excluded = [target.owning_department_id, *[d.pk for d in granted]]
    grantable = Department.objects.exclude(pk__in=excluded).order_by("code")
    return {"can_share": True, "granted_departments": granted,
            # (code, name) pairs: the select component takes options as pairs
            "grantable_departments": [(d.code, d.name) for d in grantable],
            "grant_records": grant_records_for_target(target.pk)}


def _case_row(case) -> dict:
    procedures = [
        {"key": p.key, "label": p.label, "confirmed_on": getattr(case, p.date_field),
         "confirmed_by": getattr(case, p.by_field)}
        for p in rules.procedures_for(case)
    ]
    return {"case": case, "label": case_label(case), "procedures": procedures,
            "suspension_complete": case.case_type == CaseType.C2_I and rules.procedures_complete(case)}


AMENDMENT_REQUESTED = ("設定内容の変更を申請しました。所属長（申請者以外）の承認後に登録内容とフラグに反映されます。"
                       "追加した類型は、承認までの間も照会時の確認で保護されます。")


@screen(Capability.HANDLE_VICTIMS)
def amend(request, pk):
    """設定内容の変更: 入力 → 確認（変更後に必要となる措置）→ 申請. As at intake, the confirm
    page carries the input in hidden fields and it is parsed again on 申請. The owning
    department only: anyone else gets the 404 of a target it cannot see."""
    target = target_get_for_user(actor=request.user, target_id=pk)
    if not policy.may_amend(request.user, owning_department_id=target.owning_department_id):
        raise refuse(actor=request.user, action=AuditAction.TARGET_LOCK, target_id=target.pk,
                     detail={"attempt": "amend"})
    refusal = _amendment_refusal(target)
    if request.method != "POST" or refusal:
        return _amend_page(request, target, AmendForm(), refusal=refusal,
                           status=409 if refusal and request.method == "POST" else 200)
    form = AmendForm(request.POST)
    step = request.POST.get("step")
    if step == "edit" or not form.is_valid():
        form.describe_errors()
        return _amend_page(request, target, form, status=200 if step == "edit" else 400)
    payload, today = form.to_payload(), timezone.localdate()
    try:
        if step == "submit":
            amendment_request(actor=request.user, target_id=target.pk, payload=payload, today=today)
            messages.success(request, AMENDMENT_REQUESTED)
            return redirect("victims:detail", pk=target.pk)
        data = parse_amendment(payload, target=target, today=today)
    except ValidationFailed as exc:
        form.add_amendment_errors(exc.errors)
        return _amend_page(request, target, form, status=400)
    except Conflict as exc:  # a request opened meanwhile
        return _amend_page(request, target, form, refusal=exc.message, status=409)
    carried = [(k, v) for k, values in request.POST.lists() if k not in _NOT_CARRIED for v in values]
    return render(request, "victims/amend_confirm.html", {
        "target": target, "carried": carried,
        "rows": change_rows(Amendment(target=target, requested=data.as_json())),
        "measures": measures_after(target, data), "current_measures": measures_for(target),
        "majority_reached": majority_reached(target, data, today),
    })


def _amendment_refusal(target) -> str | None:
    if target.status != TargetStatus.ACTIVE:
        return AMENDMENT_ACTIVE_ONLY
    if change_requests_for_target(target.pk).filter(status=ChangeStatus.PENDING).exists():
        return AMENDMENT_PENDING
    return None


def _amend_page(request, target, form, *, status, refusal=None):
    return render(request, "victims/amend_form.html", {
        "target": target, "form": form, "refusal": refusal, "has_errors": status == 400,
        "active_cases": [case_label(c) for c in target.cases.all() if c.active],
    }, status=status)


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def confirm_procedure(request, pk, case_id):
    form = ProcedureConfirmForm(request.POST)
    if form.is_valid():
        try:
            case_confirm_procedure(actor=request.user, case_id=case_id, procedure=form.cleaned_data["procedure"],
                                   confirmed_on=form.cleaned_data["confirmed_on"])
        except (NotFound, Forbidden):
            raise  # already audited; `screen` answers 404 / 403 as for a read
        except DomainError as exc:
            form.add_error("confirmed_on" if exc.field == "confirmed_on" else None, exc.message)
        else:
            messages.success(request, "手続の完了確認を記録しました。")
            return redirect("victims:detail", pk=pk)
    target = target_get_for_user(actor=request.user, target_id=pk)
    return _detail_page(request, target, status=400, procedure_errors={
        "case_id": case_id, "procedure": request.POST.get("procedure"),
        "messages": [e for errors in form.errors.values() for e in errors],
    })


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def release(request, pk):
    target = target_get_for_user(actor=request.user, target_id=pk)
    form = ReleaseForm(request.POST, active_cases=[c for c in target.cases.all() if c.active])
    if form.is_valid():
        try:
            release_request_create(actor=request.user, target_id=target.pk, reason=form.cleaned_data["reason"],
                                   case_ids=form.cleaned_data["cases"], comment=form.cleaned_data["comment"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "解除を申請しました。所属長の承認後に解除されます。")
            return redirect("victims:detail", pk=target.pk)
    return _detail_page(request, target, status=400, release_form=form)


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def grant(request, pk):
    """閲覧を許可する: refusals (not the head, unknown or own department) show on the page."""
    code, reason = request.POST.get("department", ""), request.POST.get("reason", "")
    return act(request, lambda: target_grant_department(actor=request.user, target_id=pk, department_code=code,
                                                        reason=reason),
               success="閲覧を許可しました。許可した所属はすぐに閲覧できます。",
               then=reverse("victims:detail", kwargs={"pk": pk}) + "#grants")


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def revoke(request, pk, department):
    return act(request, lambda: target_revoke_department(actor=request.user, target_id=pk,
                                                         department_code=department),
               success="閲覧の許可を取り消しました。その所属はすぐに閲覧できなくなります。",
               then=reverse("victims:detail", kwargs={"pk": pk}) + "#grants")


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def request_correction(request, pk):
    """Ask the system admins for the 不開示 追記 of this person's earlier 情報提供等記録."""
    return act(request, lambda: correction_request(actor=request.user, target_id=pk),
               success="情報提供等記録の不開示追記をシステム管理者に依頼しました。完了するとこの画面に表示されます。",
               then=reverse("victims:detail", kwargs={"pk": pk}))


@screen(Capability.HANDLE_VICTIMS)
def search(request):
    """POST, so the atena_no never lands in a URL, the browser history or an access log."""
    form = EitherNumberForm(request.POST or None)
    searched, found = False, None
    if request.method == "POST" and form.is_valid():
        searched = True
        found = target_search_by_atena(actor=request.user, atena_no=form.cleaned_data["atena_no"])
    return render(request, "victims/search.html", {"form": form, "searched": searched, "found": found},
                  status=400 if form.errors else 200)


@screen(Capability.CHECK)
@require_http_methods(["GET", "HEAD", "POST"])
def shared_list(request):
    """Pages by GET (?page=); a search by number or kana is POSTed (never in a URL) and pages
    with buttons in its own form."""
    form = SharedListSearchForm(request.POST if request.method == "POST" else None)
    searched = form.is_bound and form.is_valid() and any(form.cleaned_data.values())
    terms = {"atena_no": form.cleaned_data["atena_no"], "kana": form.cleaned_data["kana"]} if searched else {}
    page = target_shared_list(actor=request.user, page=(request.POST if form.is_bound else request.GET).get("page", 1),
                              **terms)
    return render(request, "victims/shared_list.html", {"page": page, "form": form, "searched": searched,
                                                        "page_size": SHARED_LIST_PAGE_SIZE},
                  status=400 if form.errors else 200)


@screen(Capability.CHECK)
@require_POST
def acknowledge_notice(request, pk):
    """「確認しました（既読にする）」 on the home page; a second press keeps the first acknowledgement."""
    return act(request, lambda: notice_acknowledge(actor=request.user, notice_id=pk),
               success="お知らせを確認済みにしました。", then=reverse("home"))


@require_GET
@screen(Capability.AUDIT)
def notices_overdue(request):
    """The auditors' list of notices no department acknowledged within NOTICE_ACK_DAYS. Here,
    not in audit, for the reason who_has_seen is: it reads victims' records."""
    return render(request, "audit/notices_overdue.html", {"rows": notices_overdue_for_auditor(actor=request.user),
                                                         "days": settings.NOTICE_ACK_DAYS})


@require_http_methods(["GET", "HEAD", "POST"])
@screen(Capability.AUDIT)
def who_has_seen(request):
    """The auditors' 「この人を見た職員」. Here, not in audit: finding a person by atena_no
    reads victims' records, and audit sits below victims. Its URL stays under /audit/.
    The search is a POST (issue 12): a 宛名番号 never travels in a URL, as elsewhere."""
    form = WhoHasSeenForm(request.POST if request.method == "POST" else None)
    events, target_id = None, None
    if form.is_bound and form.is_valid():
        target_id = form.cleaned_data.get("target_id")
        if not target_id:
            try:
                atena_no = normalize_atena_no(form.cleaned_data["atena_no"])
                target_id = target_id_for_auditor(actor=request.user, atena_no=atena_no)
            except DomainError as exc:
                form.add_error("atena_no", exc.message)
        if target_id:
            events = with_display_names(audit_selectors.who_has_seen(actor=request.user, target_id=target_id))
        elif not form.errors:
            form.add_error("atena_no", "該当する対象者がいません。")
    return render(request, "audit/who_has_seen.html", {"form": form, "events": events, "target_id": target_id})


# --- 転出 設定依頼 (ADR 0040) ---------------------------------------------------------------

@screen(Capability.HANDLE_VICTIMS)
@require_http_methods(["GET", "HEAD", "POST"])
def onward_list(request, pk):
    """The target's 設定依頼 to municipalities it moved to, and the form for a new one."""
    form = OnwardRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            onward = onward_request_issue(actor=request.user, target_id=pk, payload=form.cleaned_data)
        except ValidationFailed as exc:
            form.add_onward_errors(exc.errors)
        except (NotFound, Forbidden):
            raise  # already audited; `screen` answers 404 / 403 as for a read
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "設定依頼を作成しました。依頼文書を印刷して転出先に送付してください。")
            return redirect("victims:onward_letter", pk=pk, onward_id=onward.pk)
    target, rows = onward_requests_for(actor=request.user, target_id=pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "victims/onward_list.html", {"target": target, "rows": rows, "form": form,
                                                        "followup_days": settings.REMINDER_ONWARD_FOLLOWUP_DAYS},
                  status=status)


@screen(Capability.HANDLE_VICTIMS)
@require_POST
def onward_confirm(request, pk, onward_id):
    """転出先から「設定しました」と連絡があった: record it (who and when)."""
    return act(request, lambda: onward_request_confirm(actor=request.user, target_id=pk, onward_id=onward_id),
               success="転出先で設定済みであることを記録しました。",
               then=reverse("victims:onward_list", kwargs={"pk": pk}))


@screen(Capability.HANDLE_VICTIMS)
@require_safe
def onward_letter(request, pk, onward_id):
    """The printable letter (A4). Its title, a saved PDF's name, is settei-irai-<id>."""
    letter = onward_request_letter(actor=request.user, target_id=pk, onward_id=onward_id)
    return render(request, "victims/onward_letter.html", {"letter": letter})
