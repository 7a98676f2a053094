from django.core.management.base import BaseCommand, CommandError

from accounts.models import Department
from accounts.services import staff_create
from core.policy import Role


class Command(BaseCommand):
    help = "職員を作成（または更新）する"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--department", required=True, help="所属コード")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--display-name", default="", help="氏名（決裁票・承認画面に表示）")

    def handle(self, *args, username, department, role, password, display_name, **options):
        if not Department.objects.filter(code=department).exists():
            raise CommandError(f"所属コード {department} は存在しません。先に create_department を実行してください。")
        staff = staff_create(actor=None, username=username, department_code=department, role=role, password=password,
                             display_name=display_name)
        self.stdout.write(f"staff {staff.username} department={department} role={role}")
