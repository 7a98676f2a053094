from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from integration.models import Scope
from integration.services import system_client_create


class Command(BaseCommand):
    help = "他システム用の認証情報を発行する（所属に紐づく。キーは出力の最後の語。再表示不可）"

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--department", required=True)
        parser.add_argument("--scope", action="append", required=True, choices=Scope.values)

    def handle(self, *args, code, name, department, scope, **options):
        try:
            client, secret = system_client_create(actor=None, code=code, name=name, department_code=department,
                                                  scopes=scope)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"System client {client.code} ({', '.join(client.scopes)}): {secret}")
