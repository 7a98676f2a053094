import sys

from django.core.management.base import BaseCommand

from audit.services import verification_run


class Command(BaseCommand):
    help = ("監査ログのハッシュチェーンとアンカーを検証する"
            "（正常なら終了コード0、異常なら最初の不正イベントを表示して1）")

    def handle(self, *args, **options):
        run = verification_run()
        if run.ok:
            self.stdout.write(f"OK: {run.checked} events verified, {run.anchors_checked} anchors matched")
            return
        self.stderr.write(f"NG: event id={run.first_bad_id}: {run.reason} (verified {run.checked} before it)")
        sys.exit(1)
