import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from intermediary.emulator.server import Emulator, serve
from intermediary.emulator.store import Store
from intermediary.windows import WindowConfig


class Command(BaseCommand):
    help = "自治体中間サーバーのエミュレーターを起動する（別プロセス・独自DB）"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=settings.INTERMEDIARY_EMULATOR_BIND)
        parser.add_argument("--db", default=settings.INTERMEDIARY_EMULATOR_DB)
        parser.add_argument("--poll", type=float, default=0.2)

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO)
        secret = settings.INTERMEDIARY_WS_SECRET
        if not secret:
            # Open, it would list every flagged number and release flags for anyone (ADR 0021).
            raise CommandError("共有シークレット INTERMEDIARY_WS_SECRET が設定されていません。"
                               "エミュレーターは認証なしでは起動しません（make run は自動で生成します）。")
        host, port = opts["bind"].rsplit(":", 1)
        emu = Emulator(store=Store(opts["db"]), outbound=settings.INTERMEDIARY_OUTBOUND_DIR,
                       inbound=settings.INTERMEDIARY_INBOUND_DIR, cfg=WindowConfig.from_settings(settings),
                       destination_system_id=settings.INTERMEDIARY_DESTINATION_SYSTEM_ID)
        server = serve(emu, host, int(port), secret=secret)
        poller = threading.Thread(target=emu.run_poller, args=(opts["poll"],), daemon=True)
        poller.start()

        def stop(*_):
            emu.stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"intermediary emulator listening on {host}:{port}", ending="\n")
        self.stdout.flush()
        server.serve_forever(poll_interval=0.2)
