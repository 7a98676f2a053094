import sys

from django.core.management.base import BaseCommand

from audit.verify import verify_chain


class Command(BaseCommand):
    help = "監査ログのハッシュチェーンを検証する（正常なら終了コード0）"

    def handle(self, *args, **options):
        result = verify_chain()
        if result.ok:
            self.stdout.write(f"OK: {result.checked} events verified")
            return
        self.stderr.write(f"NG: event id={result.first_bad_id}: {result.reason} (verified {result.checked} before it)")
        sys.exit(1)
