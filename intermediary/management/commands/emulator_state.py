import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from intermediary import rules
from intermediary.emulator.store import Store
from intermediary.flag_kinds import FLAG_KINDS


class Command(BaseCommand):
    help = "エミュレーター自身のDBから、宛名番号のフラグ状態をJSONで表示する"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--atena-no", required=True)
        parser.add_argument("--db", default=settings.INTERMEDIARY_EMULATOR_DB)

    def handle(self, *args, **opts):
        atena = opts["atena_no"]
        if not rules.ATENA_RE.match(atena):
            raise CommandError("atena_no must be 15 digits")
        store = Store(opts["db"])
        flags = {kind: store.flag("atena", atena, kind) for kind in FLAG_KINDS}
        self.stdout.write(json.dumps({"atena_no": atena, **flags}))
