from django.core.management.base import BaseCommand, CommandError

from accounts.staff_lifecycle import staff_deactivate
from core.errors import DomainError


class Command(BaseCommand):
    help = "職員のアカウントを無効にする（退職・転出。APIトークンも失効。監査記録。ADR 0082）"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)

    def handle(self, *args, username, **options):
        try:
            warnings = staff_deactivate(actor=None, username=username)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for warning in warnings:
            self.stderr.write(f"注意: {warning}")
        self.stdout.write(f"staff {username} deactivated")
