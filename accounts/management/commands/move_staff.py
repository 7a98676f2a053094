from django.core.management.base import BaseCommand, CommandError

from accounts.staff_lifecycle import staff_move
from core.errors import DomainError
from core.policy import Role


class Command(BaseCommand):
    help = ("職員を別の所属へ異動する（所属長は --role approver を指定しない限り異動先では窓口職員。"
            "APIトークンは失効。監査記録。ADR 0082）")

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--department", required=True, help="異動先の所属コード")
        parser.add_argument("--role", choices=Role.values,
                            help="異動先での役割（省略時：所属長は counter、他は今の役割）")

    def handle(self, *args, username, department, role, **options):
        try:
            warnings = staff_move(actor=None, username=username, department_code=department, role=role)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for warning in warnings:
            self.stderr.write(f"注意: {warning}")
        self.stdout.write(f"staff {username} department={department}")
