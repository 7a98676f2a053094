import sys

from django.core.management.base import BaseCommand

from audit.services import anchor_create
from audit.sinks import SinkWriteFailed


class Command(BaseCommand):
    help = ("監査ログのアンカー（先頭ハッシュ・件数・時刻）を記録して表示する（監査担当の保管用）。"
            "データベースの外の追記専用ファイル（AUDIT_ANCHOR_SINK_FILE）と syslog にも書く")

    def handle(self, *args, **options):
        try:
            anchor = anchor_create()
        except SinkWriteFailed as exc:
            self.stderr.write(f"NG: アンカーはデータベースに記録しましたが、外部の記録に書き込めませんでした（{exc}）")
            sys.exit(1)
        if anchor is None:
            self.stdout.write("監査ログが空です。")
            return
        self.stdout.write(f"anchor #{anchor.pk} at {anchor.created_at.isoformat()} "
                          f"head_event_id={anchor.head_event_id} "
                          f"count={anchor.event_count} head_hash={anchor.head_hash}")
