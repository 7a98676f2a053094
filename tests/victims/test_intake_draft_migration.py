"""victims/0015 (ADR 0061): drafts kept in the clear before it are sealed in place when still
within their limit, and deleted when past it. The migration's function is run against stand-ins
for the historical model (the plain `fields` column no longer exists on the current one)."""
import datetime
import importlib

from django.utils import timezone

from core.sealing import unseal
from victims.intake_drafts import SEAL_PURPOSE

migration = importlib.import_module("victims.migrations.0015_intake_draft_sealed")


class _Draft:
    def __init__(self, fields, kept_until):
        self.fields, self.kept_until, self.sealed, self.saved = fields, kept_until, "", []

    def save(self, update_fields):
        self.saved.append(update_fields)


class _Manager:
    def __init__(self, drafts):
        self.drafts = drafts

    def filter(self, kept_until__lte):
        manager = self

        class _Expired:
            def delete(self):
                manager.drafts = [d for d in manager.drafts if d.kept_until > kept_until__lte]
        return _Expired()

    def all(self):
        manager = self

        class _All(list):
            def delete(self):
                manager.drafts = []
        return _All(self.drafts)


class _Apps:
    def __init__(self, manager):
        self.model = type("IntakeDraft", (), {"objects": manager})

    def get_model(self, app, name):
        assert (app, name) == ("victims", "IntakeDraft")
        return self.model


def test_live_drafts_are_sealed_in_place_and_expired_ones_deleted():
    now = timezone.now()
    live = _Draft({"name": ["山田　花子"]}, now + datetime.timedelta(hours=1))
    expired = _Draft({"name": ["期限切れ"]}, now - datetime.timedelta(hours=1))
    manager = _Manager([live, expired])
    migration.seal_existing(_Apps(manager), None)
    assert manager.drafts == [live] and live.saved == [["sealed"]]
    assert "山田" not in live.sealed
    assert unseal(live.sealed, purpose=SEAL_PURPOSE) == '{"name": ["山田　花子"]}'.encode()


def test_going_back_drops_them():
    manager = _Manager([_Draft({}, timezone.now())])
    migration.unseal_back(_Apps(manager), None)
    assert manager.drafts == []
