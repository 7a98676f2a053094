from django.core.management.base import BaseCommand, CommandError

from accounts.models import Staff
from accounts.services import api_token_issue


class Command(BaseCommand):
    help = "APIトークンを発行する（トークンは出力の最後の語。再表示はできません）"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)

    def handle(self, *args, username, **options):
        staff = Staff.objects.filter(username=username, is_active=True).first()
        if staff is None:
            raise CommandError(f"職員 {username} が見つかりません。")
        self.stdout.write(f"API token for {username}: {api_token_issue(actor=None, staff=staff)}")
