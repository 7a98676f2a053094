from django.core.management.base import BaseCommand

from audit.services import anchor_create


class Command(BaseCommand):
    help = "監査ログのアンカー（先頭ハッシュ・件数・時刻）を記録して表示する（監査担当の保管用）"

    def handle(self, *args, **options):
        anchor = anchor_create()
        if anchor is None:
            self.stdout.write("監査ログが空です。")
            return
        self.stdout.write(f"anchor #{anchor.pk} at {anchor.created_at.isoformat()} "
                          f"head_event_id={anchor.head_event_id} "
                          f"count={anchor.event_count} head_hash={anchor.head_hash}")
