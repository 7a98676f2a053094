from django.core.management.base import BaseCommand, CommandError

from accounts.models import RevokeReason, Staff
from accounts.services import api_token_revoke, api_tokens_revoke_for
from core.errors import DomainError


class Command(BaseCommand):
    help = "APIトークンを失効させる（トークン番号を指定、または --user で職員の全トークン）。監査ログに記録されます"

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("token_id", nargs="?", type=int, help="トークン番号（トークン一覧画面の番号）")
        target.add_argument("--user", metavar="USERNAME", help="この職員の有効なトークンをすべて失効させる")

    def handle(self, *args, token_id, user, **options):
        if user is not None:
            staff = Staff.objects.filter(username=user).first()
            if staff is None:
                raise CommandError(f"職員 {user} が見つかりません。")
            tokens = api_tokens_revoke_for(actor=None, staff_id=staff.pk, reason=RevokeReason.MANUAL)
        else:
            try:
                tokens = [api_token_revoke(actor=None, token_id=token_id)]
            except DomainError as exc:
                raise CommandError(f"トークン #{token_id}: {exc.message}") from exc
        for token in tokens:
            self.stdout.write(f"revoked API token #{token.pk} of staff #{token.staff_id}")
        self.stdout.write(f"{len(tokens)} 件のトークンを失効させました。")
