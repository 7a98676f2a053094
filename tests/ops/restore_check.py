"""The checks of a restore drill, run in a fresh process against the restored database
(DATABASE_URL) with the anchors outside it (AUDIT_ANCHOR_SINK_FILE): the audit log verifies
through the operator command, the reconciliation with the intermediate server's listing (the
emulator's database, INTERMEDIARY_EMULATOR_DB) finds no drift, and the app serves: /readyz,
the home page and a person's page for a signed-in head. Prints one JSON line.

    python -m tests.ops.restore_check <username> <target id>"""
import io
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402 — after django.setup()
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from accounts.models import Staff  # noqa: E402
from intermediary import services  # noqa: E402
from intermediary.emulator.store import Store  # noqa: E402


def main(username: str, target_id: int) -> dict:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
        verified = True
    except SystemExit:
        verified = False
    rows = Store(settings.INTERMEDIARY_EMULATOR_DB).listing()
    listing = {(r["unit_type"], r["unit_key"], r["flag_kind"]): r["value"] for r in rows}
    drift = services.reconcile(listing=listing, now=timezone.now())

    client = Client()
    staff = Staff.objects.get(username=username)
    client.force_login(staff)
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).first() or TOTPDevice.objects.create(
        user=staff, name="drill", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    ready = Client().get("/readyz")
    home = client.get("/")
    person = client.get(reverse("victims:detail", kwargs={"pk": target_id}))
    return {"verified": verified, "verify_output": out.getvalue().strip() + err.getvalue().strip(),
            "flags_listed": len(rows), "drift_alerts": len(drift), "readyz": ready.status_code,
            "home": home.status_code, "person": person.status_code,
            "person_page_has_number": person.content.decode().count(sys.argv[3]) > 0 if len(sys.argv) > 3 else None}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
