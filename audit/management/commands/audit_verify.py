import sys

from django.core.management.base import BaseCommand

from audit.day_counts import verify_counts
from audit.services import verification_run
from audit.sinks import SinkWriteFailed
from audit.verify import FULL, INCREMENTAL


class Command(BaseCommand):
    help = ("監査ログのハッシュチェーンを、データベースのアンカー・チェーン先頭・検証件数と、"
            "データベースの外の記録（AUDIT_ANCHOR_SINK_FILE）と照合する"
            "（既定は全件を複数プロセスで、--incremental で前回の検証以降のみ。"
            "正常なら終了コード0、異常なら最初の不正イベントまたは欠落した範囲を表示して1）")

    def add_arguments(self, parser):
        parser.add_argument("--incremental", action="store_true",
                            help="前回の検証以降のイベントだけを検証する（毎日の検証と同じ）")
        parser.add_argument("--counts", action="store_true",
                            help="異常確認用の日次集計も、イベントから数え直して照合する")
        parser.add_argument("--workers", type=int, default=None,
                            help="全件検証のプロセス数（既定: AUDIT_VERIFY_WORKERS、0 ならコア数）")

    def handle(self, *args, **options):
        mode = INCREMENTAL if options["incremental"] else FULL
        try:
            run = verification_run(mode=mode, workers=options["workers"])
            sink_error = ""
        except SinkWriteFailed as exc:
            run, sink_error = exc.saved, str(exc)
        bad_day, counts_reason = verify_counts() if options["counts"] else (None, "")
        if bad_day is not None:
            self.stderr.write(f"NG: {counts_reason}")
        if run.ok and not sink_error and bad_day is None:
            reach = "" if run.complete else "; budget reached, run again to continue"
            self.stdout.write(f"OK: {run.checked} events verified, {run.anchors_checked} anchors matched "
                              f"({mode}: ids {run.first_event_id}..{run.last_event_id}, {run.workers} process(es), "
                              f"{run.duration_seconds:.1f} s{reach})")
            return
        if not run.ok:
            where = f"event id={run.first_bad_id}: " if run.first_bad_id is not None else ""
            self.stderr.write(f"NG: {where}{run.reason} (verified {run.checked} before it)")
        if sink_error:
            self.stderr.write(f"NG: 検証結果を外部の記録に書き込めませんでした（{sink_error}）")
        sys.exit(1)
