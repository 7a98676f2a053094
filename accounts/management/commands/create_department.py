from django.core.management.base import BaseCommand

from accounts.services import department_create


class Command(BaseCommand):
    help = "所属を作成（または更新）する"

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--linkage", action="store_true", help="情報連携を行う所属")
        parser.add_argument("--contact-point", action="store_true", default=None,
                            help="情報連携の窓口（自動応答不可の照会への手動提供を判断する所属。1つだけ）")

    def handle(self, *args, code, name, linkage, contact_point, **options):
        dept = department_create(actor=None, code=code, name=name, does_linkage=linkage, contact_point=contact_point)
        self.stdout.write(f"department {dept.code} linkage={dept.does_linkage} contact_point={dept.is_contact_point}")
