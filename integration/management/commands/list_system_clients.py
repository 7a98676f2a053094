from django.core.management.base import BaseCommand

from integration.models import SystemClient


class Command(BaseCommand):
    help = "他システム用の認証情報の一覧（キーは表示できません）"

    def handle(self, *args, **options):
        for client in SystemClient.objects.select_related("department").order_by("code"):
            state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
            self.stdout.write(f"{client.code}\t{client.name}\t{client.department.code}\t"
                              f"{','.join(client.scopes)}\t{state}")
