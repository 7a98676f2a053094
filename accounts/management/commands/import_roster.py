from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.management.passwords import read_password
from accounts.staff_lifecycle import decode_roster, parse_roster, roster_apply, roster_plan
from core.errors import DomainError, ValidationFailed


class Command(BaseCommand):
    help = ("職員名簿（CSV。UTF-8 / CP932 を自動判別）を取り込む：新規・異動・役割・表示名・退職（在籍=0）。"
            "--dry-run で変更内容の表示のみ。名簿にない職員は変更しない。"
            "全行を1回で反映（誤りがあれば何も変えない）。ADR 0082")

    def add_arguments(self, parser):
        parser.add_argument("path", help="名簿ファイル（見出し：ユーザー名,所属コード,役割,氏名,在籍）")
        parser.add_argument("--dry-run", action="store_true", help="変更内容を表示するだけで、何も変更しない")
        parser.add_argument("--password-stdin", action="store_true",
                            help="新規職員の初期パスワードを標準入力の1行目から読む（省略時は入力を求める）")

    def handle(self, *args, path, dry_run, password_stdin, **options):
        try:
            rows = parse_roster(decode_roster(Path(path).read_bytes()))
        except OSError as exc:
            raise CommandError(f"名簿ファイルを読めません: {exc.strerror}") from None
        except ValidationFailed as exc:
            raise CommandError("名簿に誤りがあります（何も変更していません）:\n"
                               + "\n".join(f"  {k}: {v}" for k, v in exc.errors.items())) from None
        plan = roster_plan(rows)
        for line in plan.lines():
            self.stdout.write(line)
        counts = plan.counts()
        summary = ("新規 {created}・異動 {moved}・表示名 {renamed}・無効化 {deactivated}・"
                   "変更なし {unchanged}").format(**counts)
        if dry_run:
            self.stdout.write(f"（dry-run：変更していません）{summary}")
            return
        password = None
        if plan.create:
            password = read_password(from_stdin=password_stdin, prompt="新規職員の初期パスワード: ")
        try:
            warnings = roster_apply(actor=None, plan=plan, initial_password=password)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for warning in warnings:
            self.stderr.write(f"注意: {warning}")
        self.stdout.write(f"反映しました：{summary}")
