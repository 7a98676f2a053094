from django.core.management.base import BaseCommand, CommandError

from accounts.management.passwords import read_password
from accounts.models import Department
from accounts.services import staff_create
from core.policy import Role


class Command(BaseCommand):
    help = "職員を作成（または更新）する"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--department", required=True, help="所属コード")
        parser.add_argument("--role", required=True, choices=Role.values)
        # Prefer the prompt or --password-stdin: an argument stays in the shell history and in `ps`.
        parser.add_argument("--password", help="非推奨（履歴・プロセス一覧に残る）。省略時は入力を求める")
        parser.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力の1行目から読む")
        parser.add_argument("--display-name", default="", help="氏名（決裁票・承認画面に表示）")

    def handle(self, *args, username, department, role, password, password_stdin, display_name, **options):
        if not Department.objects.filter(code=department).exists():
            raise CommandError(f"所属コード {department} は存在しません。先に create_department を実行してください。")
        if password is None:
            password = read_password(from_stdin=password_stdin)
        staff = staff_create(actor=None, username=username, department_code=department, role=role, password=password,
                             display_name=display_name)
        self.stdout.write(f"staff {staff.username} department={department} role={role}")
