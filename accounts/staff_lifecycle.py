"""The April 人事異動 (ADR 0082): staff leave, move to another department, change role, join.

One function per change (`staff_deactivate`, `staff_move`), each audited; a roster import
plans every row first (all errors at once, with line numbers), then applies the plan in one
transaction, through the same functions, with one summary event. What a move does to the
person's open work is decided in ADR 0082: requests stay with the department that opened them
(their requester stays recorded, so four eyes still holds), a head who moves is not a head in
the new department unless the roster or `--role` says so, and a department left without an
active approver is named in the warnings (its requests go to the fallback approver or wait).

Passwords never come from the command line: the commands prompt (getpass) or read stdin."""
import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from audit.actions import AuditAction
from audit.services import audit_record
from core.errors import DomainError, ValidationFailed
from core.policy import Role

from .models import Department, Staff
from .selectors import has_active_approver

# The roster's columns, by their Japanese or English header.
COLUMNS = {
    "ユーザー名": "username", "username": "username",
    "所属コード": "department", "department": "department",
    "役割": "role", "role": "role",
    "氏名": "display_name", "display_name": "display_name",
    "在籍": "active", "active": "active",
}
REQUIRED = ("username", "department", "role")
ACTIVE_WORDS = {"1": True, "true": True, "yes": True, "在籍": True, "有効": True, "": True,
                "0": False, "false": False, "no": False, "退職": False, "無効": False, "転出": False}
ROLE_WORDS = {**{r: r for r in Role.values}, "窓口": Role.COUNTER, "所属長": Role.APPROVER,
              "システム管理者": Role.SYSADMIN, "監査": Role.AUDITOR}


def _approver_warning(department: Department) -> str | None:
    if has_active_approver(department):
        return None
    return (f"所属 {department.code} に有効な所属長（承認者）がいなくなりました。"
            "承認待ちの申請は代理の承認所属へ回るか、承認者の登録まで待ちます。")


@transaction.atomic
def staff_deactivate(*, actor: Staff | None, username: str) -> list[str]:
    """End an account (退職・転出): it cannot log in, its tokens are revoked (accounts.receivers),
    its open requests stay with its department. Returns warnings for the operator."""
    staff = Staff.objects.select_for_update(of=("self",)).select_related("department").filter(username=username).first()
    if staff is None:
        raise DomainError(f"職員 {username} は登録されていません。")
    if not staff.is_active:
        return [f"職員 {username} は既に無効です（変更なし）。"]
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    audit_record(actor=actor, action=AuditAction.STAFF_DEACTIVATE,
                 detail={"staff_id": staff.pk, "department": staff.department.code if staff.department else "",
                         "role": staff.role})
    warning = _approver_warning(staff.department) if staff.department and staff.role == Role.APPROVER else None
    return [warning] if warning else []


@transaction.atomic
def staff_move(*, actor: Staff | None, username: str, department_code: str, role: str | None = None) -> list[str]:
    """Move an account to another department. Without `role`, a head becomes counter staff in
    the new department (being head of one department says nothing about another: deny by
    default) and anyone else keeps their role. Tokens are revoked (accounts.receivers)."""
    staff = Staff.objects.select_for_update(of=("self",)).select_related("department").filter(username=username).first()
    if staff is None:
        raise DomainError(f"職員 {username} は登録されていません。")
    target = Department.objects.filter(code=department_code).first()
    if target is None:
        raise DomainError(f"所属コード {department_code} は存在しません。")
    if role is not None and role not in Role.values:
        raise DomainError(f"役割 {role} は正しくありません（{' / '.join(Role.values)}）。")
    old_department, old_role = staff.department, staff.role
    new_role = role or (Role.COUNTER if old_role == Role.APPROVER else old_role)
    if old_department == target and new_role == old_role and staff.is_active:
        return [f"職員 {username} は既に {department_code}（{old_role}）です（変更なし）。"]
    staff.department, staff.role, staff.is_active = target, new_role, True
    staff.save(update_fields=["department", "role", "is_active"])
    staff.groups.set([target.group])
    audit_record(actor=actor, action=AuditAction.STAFF_MOVE,
                 detail={"staff_id": staff.pk, "from": old_department.code if old_department else "",
                         "to": target.code, "role_from": old_role, "role_to": new_role})
    warnings = []
    if old_department and old_role == Role.APPROVER and old_department != target:
        warning = _approver_warning(old_department)
        if warning:
            warnings.append(warning)
    if role is None and old_role == Role.APPROVER:
        warnings.append(f"職員 {username} は異動先では窓口職員（counter）です。"
                        "所属長とする場合は役割を指定してください。")
    return warnings


# ---- roster import ---------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    line: int
    username: str
    department: str
    role: str
    display_name: str
    active: bool


@dataclass
class RosterPlan:
    create: list[RosterRow] = field(default_factory=list)
    move: list[tuple[RosterRow, str, str]] = field(default_factory=list)  # row, old department, old role
    rename: list[RosterRow] = field(default_factory=list)
    deactivate: list[RosterRow] = field(default_factory=list)
    unchanged: int = 0

    def lines(self) -> list[str]:
        """What would change, one line each, in the order it is applied."""
        out = [f"新規 {r.username}: {r.department}／{r.role}" for r in self.create]
        out += [f"異動 {r.username}: {old_dept or '（なし）'}／{old_role} → {r.department}／{r.role}"
                for r, old_dept, old_role in self.move]
        out += [f"表示名の変更 {r.username}" for r in self.rename]
        out += [f"無効化 {r.username}" for r in self.deactivate]
        return out

    def counts(self) -> dict[str, int]:
        return {"created": len(self.create), "moved": len(self.move), "renamed": len(self.rename),
                "deactivated": len(self.deactivate), "unchanged": self.unchanged}


def decode_roster(data: bytes) -> str:
    """UTF-8 (with or without BOM, as Excel saves "CSV UTF-8") or CP932 (Excel's "CSV")."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"file": "文字コードを判別できません（UTF-8 または Shift_JIS(CP932) で保存してください）。"}) from None


def parse_roster(text: str) -> list[RosterRow]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise ValidationFailed({"file": "名簿が空です。"})
    names = [COLUMNS.get(h.strip()) for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValidationFailed(
            {"header": f"見出しに {', '.join(missing)} の列がありません（ユーザー名・所属コード・役割）。"})
    errors: dict[str, str] = {}
    rows: list[RosterRow] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        values = {name: cell.strip() for name, cell in zip(names, raw, strict=False) if name}
        username = values.get("username", "")
        role = ROLE_WORDS.get(values.get("role", ""))
        active = ACTIVE_WORDS.get(values.get("active", "").lower())
        if not username:
            errors[f"{line}行目"] = "ユーザー名がありません。"
        elif username in seen:
            errors[f"{line}行目"] = f"ユーザー名 {username} が {seen[username]}行目と重複しています。"
        elif role is None:
            errors[f"{line}行目"] = (f"役割「{values.get('role', '')}」は正しくありません"
                                    "（counter / approver / sysadmin / auditor）。")
        elif active is None:
            errors[f"{line}行目"] = f"在籍「{values.get('active', '')}」は正しくありません（1 / 0、在籍 / 退職）。"
        else:
            seen[username] = line
            rows.append(RosterRow(line, username, values.get("department", ""), role,
                                  values.get("display_name", ""), active))
    known = set(Department.objects.filter(code__in={r.department for r in rows}).values_list("code", flat=True))
    for r in rows:
        if r.active and r.department not in known:
            errors[f"{r.line}行目"] = f"所属コード {r.department} は存在しません。"
    if errors:
        raise ValidationFailed(errors)
    return rows


def roster_plan(rows: list[RosterRow]) -> RosterPlan:
    """Compare each row with the account as it is. Accounts not in the roster are untouched
    (a roster may cover some departments only)."""
    existing = {s.username: s for s in Staff.objects.select_related("department")
                .filter(username__in=[r.username for r in rows])}
    plan = RosterPlan()
    for r in rows:
        staff = existing.get(r.username)
        if staff is None:
            if r.active:
                plan.create.append(r)
            else:
                plan.unchanged += 1  # never employed here, leaving: nothing to do
            continue
        if not r.active:
            if staff.is_active:
                plan.deactivate.append(r)
            else:
                plan.unchanged += 1
            continue
        old_dept = staff.department.code if staff.department else ""
        changed = False
        if old_dept != r.department or staff.role != r.role or not staff.is_active:
            plan.move.append((r, old_dept, staff.role))
            changed = True
        if r.display_name and r.display_name != staff.display_name:
            plan.rename.append(r)
            changed = True
        if not changed:
            plan.unchanged += 1
    return plan


@transaction.atomic
def roster_apply(*, actor: Staff | None, plan: RosterPlan, initial_password: str | None) -> list[str]:
    """Apply a plan: all rows or none. New accounts get `initial_password` (asked for by the
    command only when there are new accounts), to be changed by the person."""
    if plan.create and not initial_password:
        raise DomainError("新規の職員がいるため、初期パスワードが必要です。")
    warnings: list[str] = []
    for r in plan.create:
        department = Department.objects.get(code=r.department)
        staff = Staff(username=r.username, department=department, role=r.role, display_name=r.display_name)
        staff.set_password(initial_password)
        staff.save()
        staff.groups.set([department.group])
        audit_record(actor=actor, action=AuditAction.STAFF_CREATE,
                     detail={"staff_id": staff.pk, "department": department.code, "role": r.role,
                             "source": "roster"})
    for r, _, _ in plan.move:
        warnings += [w for w in staff_move(actor=actor, username=r.username, department_code=r.department,
                                           role=r.role) if "役割を指定" not in w]
    for r in plan.rename:
        Staff.objects.filter(username=r.username).update(display_name=r.display_name)
        audit_record(actor=actor, action=AuditAction.STAFF_UPDATE,
                     detail={"staff_id": Staff.objects.get(username=r.username).pk, "field": "display_name",
                             "source": "roster"})
    for r in plan.deactivate:
        warnings += staff_deactivate(actor=actor, username=r.username)
    audit_record(actor=actor, action=AuditAction.STAFF_ROSTER_IMPORT, detail=plan.counts())
    return warnings
