"""Confirm a file layout's code values as a system administrator (ADR 0043).

    manage.py confirm_file_layout chukan_shokai_request --by admin

Prints the layout and the values being confirmed, then records the confirmation of this
exact definition (its SHA-256), audited. A non-administrator is refused."""
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Staff
from checks.file_layouts import load_layout
from checks.layout_confirmation import layout_confirm
from core.errors import DomainError


class Command(BaseCommand):
    help = "ファイルレイアウト定義のコード値（不開示・開示）をシステム管理者として確認します。"

    def add_arguments(self, parser):
        parser.add_argument("name", help="checks/layouts/<name>.json の name")
        parser.add_argument("--by", required=True, help="確認するシステム管理者のユーザー名")

    def handle(self, *args, name, by, **options):
        actor = Staff.objects.filter(username=by, is_active=True).first()
        if actor is None:
            raise CommandError(f"有効な職員 {by} がいません。")
        try:
            layout = load_layout(name)
            out = self.stdout.write
            out(f"レイアウト: {layout.name}（{layout.title}）")
            out(f"種類: {layout.kind}　版: {layout.version}　SHA-256: {layout.sha256}")
            out(f"文字コード: {layout.encoding}　1行 {layout.line_length} バイト（改行を含む）")
            out(f"コード項目: {layout.code.name}（{layout.code.offset + 1} バイト目から {layout.code.width} バイト）")
            values = layout.values_text()
            out(f"  不開示 = {values['nondisclosure']!r}")
            out(f"  開示   = {values['disclosure']!r}")
            confirmation = layout_confirm(actor=actor, layout=layout)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"上記の値を {by} が確認したことを記録しました（確認 #{confirmation.pk}）。"))
