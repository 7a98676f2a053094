"""Who may see and do what: the one place that decides. Deny by default.

Screens (core.screens.screen), API permission classes (accounts.api_permissions), services
and selectors all ask here; none of them compares roles or departments itself. A decision
reads the actor's role, department and the department's linkage flag, and, for a target,
the facts the caller passes in. The only database-shaped decision is `target_scope`: the
filter over Target rows that the victims selectors apply, so that a target that exists in
another department and one that does not exist take the same query.

Who sees a target's full record (DESIGN "Visibility"): the owning department and every
department it granted (guardian group object permissions on the department's group).
Other linkage departments: only the inquiry answer and the minimal shared list. Anyone
else: nothing. System admins: operations and sync state, never victim details. Auditors:
audit events.
"""
from __future__ import annotations

import enum
import hmac
from typing import Protocol

from django.db import models
from django.db.models import Q

from .errors import Forbidden


class Role(models.TextChoices):
    COUNTER = "counter", "窓口職員"
    APPROVER = "approver", "所属長（承認者）"
    SYSADMIN = "sysadmin", "システム管理者"
    AUDITOR = "auditor", "監査担当"


VICTIM_ROLES: tuple[str, ...] = (Role.COUNTER, Role.APPROVER)


class _Department(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def does_linkage(self) -> bool: ...
    @property
    def group_id(self) -> int: ...
    @property
    def is_contact_point(self) -> bool: ...


class Actor(Protocol):
    """What policy (and the audit log) read of a staff member: accounts.Staff. Anything else
    (an anonymous user, None) is refused by `allows`, which reads attributes defensively."""

    @property
    def pk(self) -> object: ...
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def role(self) -> str: ...
    @property
    def department_id(self) -> int | None: ...
    @property
    def department(self) -> _Department | None: ...
    def get_username(self) -> str: ...


class Capability(enum.Enum):
    """What an actor may do, independent of any one target."""

    HANDLE_VICTIMS = "handle_victims"  # register, read own/granted records, request changes
    DECIDE = "decide"  # approve / reject requests of the own department (four eyes)
    CHECK = "check"  # inquiry-time checks, shared list, recipient filter, notices
    OPERATE_SYNC = "operate_sync"  # sync monitor, operations, 追記 worklist, 2FA reset
    AUDIT = "audit"  # audit log screens
    PROVISION = "provision"  # record manual-provision decisions: staff of the 情報連携 contact point (ADR 0037)


_REFUSALS: dict[Capability, str] = {
    Capability.HANDLE_VICTIMS: "この操作を行う権限がありません。",
    Capability.DECIDE: "承認・却下は所属長（承認者）のみ行えます。",
    Capability.CHECK: "情報連携を行う所属の職員のみ確認できます。",
    Capability.OPERATE_SYNC: "システム管理者のみ利用できます。",
    Capability.AUDIT: "監査担当のみ利用できます。",
    Capability.PROVISION: "手動提供の判断は情報連携の窓口の所属の職員のみ記録できます。",
}


def _role(actor: object) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        return ""
    return str(getattr(actor, "role", "") or "")


def allows(actor: object, capability: Capability) -> bool:
    """May `actor` (a Staff; anything else is refused) do what `capability` names?"""
    role = _role(actor)
    if not role:
        return False
    if capability is Capability.OPERATE_SYNC:
        return role == Role.SYSADMIN
    if capability is Capability.AUDIT:
        return role == Role.AUDITOR
    # Victim work needs a department: a counter without one owns nothing.
    if role not in VICTIM_ROLES or getattr(actor, "department_id", None) is None:
        return False
    if capability is Capability.HANDLE_VICTIMS:
        return True
    if capability is Capability.DECIDE:
        return role == Role.APPROVER
    if capability is Capability.CHECK:
        department = getattr(actor, "department", None)
        return department is not None and bool(department.does_linkage)
    if capability is Capability.PROVISION:
        department = getattr(actor, "department", None)
        return department is not None and bool(getattr(department, "is_contact_point", False))
    return False  # a capability added without a rule is refused


def refusal_message(capability: Capability) -> str:
    return _REFUSALS[capability]


def require(actor: object, capability: Capability, message: str | None = None) -> None:
    if not allows(actor, capability):
        raise Forbidden(message or _REFUSALS[capability])


# --- a target --------------------------------------------------------------------------

VIEW_TARGET = "view_target"


def target_scope(actor: object) -> Q:
    """The Target rows whose full record `actor` may see: those on which the actor's
    department group holds the view permission (owner or granted). Nothing for anyone who
    may not handle victims. Applied in one query, whether the row exists or not."""
    department = getattr(actor, "department", None)
    if not allows(actor, Capability.HANDLE_VICTIMS) or department is None:
        return Q(pk__in=[])
    return Q(
        targetgroupobjectpermission__group_id=department.group_id,
        targetgroupobjectpermission__permission__codename=VIEW_TARGET,
    )


def owned_target_scope(actor: object) -> Q:
    """The Target rows the actor's department owns (and so sees): what is the owner's work
    alone, not a granted department's — finding people by name in the worklist (ADR 0038)
    and the 転出 設定依頼 to another municipality (ADR 0040). One query whether the row is
    another department's or absent."""
    department_id = getattr(actor, "department_id", None)
    if not allows(actor, Capability.HANDLE_VICTIMS) or department_id is None:
        return Q(pk__in=[])
    return target_scope(actor) & Q(owning_department_id=department_id)


def decision_scope(actor: object) -> Q:
    """The ChangeRequest rows `actor` decides: the pending requests whose deciding department
    (ADR 0033) is the approver's own. Its head reads such a target's record to decide it, even
    before its department owns or was granted it (a transfer, ADR 0034; a fallback, ADR 0035)."""
    if not allows(actor, Capability.DECIDE):
        return Q(pk__in=[])
    return Q(status="pending", deciding_department_id=getattr(actor, "department_id", None))


def decision_refusal(actor: Actor, *, deciding_department_id: int, requested_by_id: object) -> str | None:
    """Why `actor` may not approve or reject a request decided by `deciding_department_id`
    (ADR 0033) and requested by `requested_by_id`, or None (four eyes)."""
    if not allows(actor, Capability.DECIDE):
        return _REFUSALS[Capability.DECIDE]
    if actor.department_id != deciding_department_id:
        return "承認・却下はこの申請を決裁する所属の所属長のみ行えます。"
    if actor.pk == requested_by_id:
        return "申請者本人は承認・却下できません（二者確認）。"
    return None


class _Target(Protocol):
    @property
    def owning_department_id(self) -> int: ...


class _DepartmentRow(Protocol):
    @property
    def pk(self) -> object: ...


def transfer_refusal(actor: Actor, target: _Target, department: _DepartmentRow | None) -> str | None:
    """Why `actor` may not ask to transfer `target` to `department`, or None. The owning
    department (its staff or its head) asks; the receiving department's head decides (ADR 0034)."""
    if not owns(actor, owning_department_id=target.owning_department_id):
        return "所管の移管は対象者を所管する所属の職員のみ申請できます。"
    if department is None:
        return "指定された所属が見つかりません。移管先の所属を選び直してください。"
    if department.pk == target.owning_department_id:
        return "移管先には現在の所管とは別の所属を選んでください。"
    return None


def grant_refusal(actor: Actor, *, owning_department_id: int) -> str | None:
    """Why `actor` may not share (grant or revoke) a target's full record with another
    department, or None: only a head of the owning department decides who else sees it."""
    if not allows(actor, Capability.DECIDE):
        return "閲覧の許可・取消しは所属長（承認者）のみ行えます。"
    if actor.department_id != owning_department_id:
        return "閲覧の許可・取消しは対象者を登録した所属の所属長のみ行えます。"
    return None


def may_grant(actor: Actor, *, owning_department_id: int) -> bool:
    """Sharing the full record with another department: the owning department's head."""
    return grant_refusal(actor, owning_department_id=owning_department_id) is None


def owns(actor: Actor, *, owning_department_id: int) -> bool:
    """Is `actor` staff of the department that owns a target? Granted departments read the
    record but not what is the owner's alone (its protection periods, ADR 0029)."""
    return allows(actor, Capability.HANDLE_VICTIMS) and actor.department_id == owning_department_id


def sees_notice_acknowledgements(actor: Actor, *, owning_department_id: int) -> bool:
    """Which departments were told of a target's changes and when they acknowledged: for the
    owning department, which must know each was told (DOMAIN §7); a granted one works the
    case but does not answer for telling the others."""
    return allows(actor, Capability.HANDLE_VICTIMS) and actor.department_id == owning_department_id


def registration_reveals_existing(actor: Actor, *, owning_department_id: int) -> bool:
    """May a registration by `actor` of a person who is already a target say so? Only to the
    owning department, which holds the record anyway. Anyone else gets the receipt a new
    person gets (ADR 0015): the answer must not tell who is protected, nor by which
    department (that would reveal the kind of harm)."""
    return owns(actor, owning_department_id=owning_department_id)


def withdrawal_refusal(actor: Actor, *, deciding_department_id: int, asked_by_id: object,
                       registered_by_id: object) -> str | None:
    """Why `actor` may not complete the withdrawal of a pending registration that
    `asked_by_id` asked for, or None. Four eyes as for a release (ADR 0016): a head of the
    deciding department (ADR 0033) who neither asked for the withdrawal nor made the registration."""
    if actor.pk == asked_by_id:
        return "取下げは申し出済みです。申し出た方以外の所属長の承認をお待ちください（二者確認）。"
    if not allows(actor, Capability.DECIDE):
        return "登録の取下げには所属長（承認者）の承認が必要です。取下げは申し出済みです。"
    if actor.department_id != deciding_department_id:
        return "取下げの承認はこの申請を決裁する所属の所属長のみ行えます。"
    if actor.pk == registered_by_id:
        return "登録を申請した本人は取下げを承認できません（二者確認）。"
    return None


# --- manual-provision decisions (DOMAIN §5, §7 Point 5; ADR 0036, 0037) ------------------

def provision_decision_scope(actor: object) -> Q:
    """The ProvisionDecision rows `actor` may see: all of them for the contact point (which
    records and decides them) and for auditors; a target's decisions for the department
    that owns the target; nothing for anyone else (the same 404 as for a decision that
    does not exist). Applied in one query, whether the row exists or not."""
    if allows(actor, Capability.PROVISION) or allows(actor, Capability.AUDIT):
        return Q()
    if allows(actor, Capability.HANDLE_VICTIMS):
        return Q(target__owning_department_id=getattr(actor, "department_id", None))
    return Q(pk__in=[])


def may_list_provision_decisions(actor: object) -> bool:
    """Anyone to whom some decision could be shown: contact point, auditors, victim staff
    (the owners among them see their own targets' decisions)."""
    return (allows(actor, Capability.PROVISION) or allows(actor, Capability.AUDIT)
            or allows(actor, Capability.HANDLE_VICTIMS))


def provision_decision_refusal(actor: Actor, *, requested_by_id: object) -> str | None:
    """Why `actor` may not approve or reject a manual-provision decision recorded by
    `requested_by_id`, or None: a head (approver) of the contact point, never the one who
    recorded it (four eyes, ADR 0037)."""
    if not allows(actor, Capability.PROVISION):
        return _REFUSALS[Capability.PROVISION]
    if not allows(actor, Capability.DECIDE):
        return "手動提供の判断の承認・却下は情報連携の窓口の所属長（承認者）のみ行えます。"
    if actor.pk == requested_by_id:
        return "記録した本人は承認・却下できません（二者確認）。"
    return None


def may_amend(actor: Actor, *, owning_department_id: int) -> bool:
    """Requesting an amendment of a target (ADR 0030): staff of the owning department only.
    A granted department works the case but does not change the owner's record; to it, as
    to everyone else, the amendment endpoint answers as for a target it cannot see (404)."""
    return owns(actor, owning_department_id=owning_department_id)


def sees_amendment_history(actor: Actor, *, owning_department_id: int) -> bool:
    """The before/after values of a target's amendments (ADR 0032): the owning department's,
    like its protection periods; a granted department sees the record as it is now."""
    return owns(actor, owning_department_id=owning_department_id)


def transfer_withdrawal_refusal(actor: Actor, *, owning_department_id: int) -> str | None:
    """Why `actor` may not take a pending transfer back, or None: only the asking (owning)
    side withdraws; the receiving head rejects instead (ADR 0034)."""
    if owns(actor, owning_department_id=owning_department_id):
        return None
    return "所管の移管の申請は、申請した所属の職員のみ取り下げられます。受け入れない場合は却下してください。"


def grant_record_scope(actor: object) -> Q:
    """The GrantRecord rows whose 決裁票 `actor` may print: those of targets its department
    owns now (the owner answers for who else sees the record; a granted department does not)."""
    if not allows(actor, Capability.HANDLE_VICTIMS):
        return Q(pk__in=[])
    return Q(target__owning_department_id=getattr(actor, "department_id", None))


def may_confirm_file_layout(actor: object) -> bool:
    """Confirming the code values of a file layout the stamper writes (ADR 0043): system
    administrators only. They answer for the system's configuration; a wrong value stamps
    every protected line wrongly, which is worse than not stamping."""
    return allows(actor, Capability.OPERATE_SYNC)


def metrics_scrape_allowed(*, configured_token: str, authorization: str) -> bool:
    """May this caller read /metrics (ADR 0065)? No account is involved: only a scraper that
    presents the configured METRICS_TOKEN as "Bearer <token>". No token configured: nobody.
    Compared in constant time, so the answer's timing says nothing of how much matched."""
    if not configured_token:
        return False
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), configured_token.encode())


# --- dashboards and the annual report (ADR 0057, 0058) -----------------------------------

class DashboardChart(enum.Enum):
    TARGETS = "targets"  # targets by case type and status
    MONTHLY = "monthly"  # sets and releases approved per month
    LAG = "lag"  # delivery lag (approval → reflected) per day
    REMINDERS = "reminders"  # reminders due, by kind


def dashboard_charts(actor: object) -> frozenset[DashboardChart]:
    """Which charts `actor`'s dashboard shows. Counts only, never a person. Department staff:
    all four, of their own department's work (the reminders are theirs to do). Auditors: the
    municipality's counts (they review the whole), no reminders (no work of theirs). System
    admins: the delivery side — what was sent each month and how long reflecting took — not
    the case types, which say what kind of harm a municipality's targets suffered."""
    if allows(actor, Capability.HANDLE_VICTIMS):
        return frozenset(DashboardChart)
    if allows(actor, Capability.AUDIT):
        return frozenset({DashboardChart.TARGETS, DashboardChart.MONTHLY, DashboardChart.LAG})
    if allows(actor, Capability.OPERATE_SYNC):
        return frozenset({DashboardChart.MONTHLY, DashboardChart.LAG})
    return frozenset()


def counts_department(actor: object) -> int | None:
    """The department whose counts `actor` sees on dashboards and the annual report: its own
    for department staff; None (the whole municipality) for auditors and system admins."""
    if allows(actor, Capability.HANDLE_VICTIMS):
        return getattr(actor, "department_id", None)
    return None


def may_read_annual_report(actor: object) -> bool:
    """The annual counts as of 12月1日 (ADR 0058): department staff (their department's row)
    and auditors (every department). Not system admins: the report is by case type."""
    return allows(actor, Capability.HANDLE_VICTIMS) or allows(actor, Capability.AUDIT)
