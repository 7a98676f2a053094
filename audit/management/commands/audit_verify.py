import sys

from django.core.management.base import BaseCommand

from audit.services import verification_run
from audit.sinks import SinkWriteFailed


class Command(BaseCommand):
    help = ("監査ログのハッシュチェーンを、データベースのアンカー・チェーン先頭・検証件数と、"
            "データベースの外の記録（AUDIT_ANCHOR_SINK_FILE）と照合する"
            "（正常なら終了コード0、異常なら最初の不正イベントまたは欠落した範囲を表示して1）")

    def handle(self, *args, **options):
        try:
            run = verification_run()
            sink_error = ""
        except SinkWriteFailed as exc:
            run, sink_error = exc.saved, str(exc)
        if run.ok and not sink_error:
            self.stdout.write(f"OK: {run.checked} events verified, {run.anchors_checked} anchors matched")
            return
        if not run.ok:
            where = f"event id={run.first_bad_id}: " if run.first_bad_id is not None else ""
            self.stderr.write(f"NG: {where}{run.reason} (verified {run.checked} before it)")
        if sink_error:
            self.stderr.write(f"NG: 検証結果を外部の記録に書き込めませんでした（{sink_error}）")
        sys.exit(1)
