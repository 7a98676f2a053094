from django.core.management.base import BaseCommand

from accounts.services import department_create


class Command(BaseCommand):
    help = "所属を作成（または更新）する"

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--linkage", action="store_true", help="情報連携を行う所属")

    def handle(self, *args, code, name, linkage, **options):
        dept = department_create(actor=None, code=code, name=name, does_linkage=linkage)
        self.stdout.write(f"department {dept.code} linkage={dept.does_linkage}")
