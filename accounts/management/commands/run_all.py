import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "デモ環境を起動する（Web）"

    def handle(self, *args, **options):
        port = os.environ.get("PORT", "8000")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
