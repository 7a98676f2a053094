from django.core.management.base import BaseCommand, CommandError

from core.errors import NotFound
from integration.services import system_client_revoke


class Command(BaseCommand):
    help = "他システム用の認証情報を失効させる"

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True)

    def handle(self, *args, code, **options):
        try:
            system_client_revoke(actor=None, code=code)
        except NotFound:
            raise CommandError(f"システム {code} が見つかりません。") from None
        self.stdout.write(f"System client {code} revoked.")
