from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.services import department_create, staff_create
from core.policy import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 — the demo's published login, never a real account

DEPARTMENTS = [
    ("kodomo", "子ども家庭支援課", True),
    ("zeimu", "税務課", True),
    ("fukushi", "福祉課", True),
    ("jumin", "戸籍住民課", True),
    ("johosys", "情報システム課", False),
    ("kansa", "監査室", False),
    ("koho", "広報課", False),
    ("renkei", "情報連携推進課", True),
]
# The 情報連携 contact point (decides manual provisions, ADR 0037).
CONTACT_POINT = "renkei"
# username, department, role, display name (printed on 決裁票; fictitious)
STAFF = [
    ("counter1", "kodomo", Role.COUNTER, "窓口　一郎"),
    ("approver1", "kodomo", Role.APPROVER, "所属長　和子"),
    ("approver2", "kodomo", Role.APPROVER, "次長　二郎"),
    ("zeimu1", "zeimu", Role.COUNTER, "税務　三郎"),
    ("zeimu_head", "zeimu", Role.APPROVER, "税務課長　四郎"),
    ("fukushi1", "fukushi", Role.COUNTER, "福祉　五月"),
    ("koho1", "koho", Role.COUNTER, "広報　六郎"),
    ("sysadmin1", "johosys", Role.SYSADMIN, "情報　七海"),
    ("auditor1", "kansa", Role.AUDITOR, "監査　八郎"),
    ("renkei1", "renkei", Role.COUNTER, "連携　九子"),
    ("renkei_head", "renkei", Role.APPROVER, "連携課長　十三"),
]


class Command(BaseCommand):
    help = "デモ用の所属と職員を作成する（何度実行しても同じ結果）"

    @transaction.atomic
    def handle(self, *args, **options):
        for code, name, linkage in DEPARTMENTS:
            department_create(actor=None, code=code, name=name, does_linkage=linkage,
                              contact_point=code == CONTACT_POINT)
        self.stdout.write(f"デモ用ログイン（パスワードはすべて {DEMO_PASSWORD}）:")
        for username, dept, role, display_name in STAFF:
            staff_create(actor=None, username=username, department_code=dept, role=role, password=DEMO_PASSWORD,
                         display_name=display_name)
            self.stdout.write(f"  {username:12s} {dept:8s} {Role(role).label}　{display_name}")
