"""One vocabulary of audit actions: no free strings reach the log, and the auditors' sets
come from it."""
import pytest

from audit.actions import (
    AuditAction,
    bulk_lookup_actions,
    listing_actions,
    number_lookup_actions,
    reading_actions,
)
from audit.models import AuditEvent
from audit.services import audit_record


@pytest.mark.django_db
def test_an_action_outside_the_vocabulary_is_refused():
    with pytest.raises(ValueError):
        audit_record(actor=None, action="target.reed")  # a typo would otherwise hide a read
    assert not AuditEvent.objects.filter(action="target.reed").exists()


def test_the_auditors_sets_derive_from_the_vocabulary():
    assert set(reading_actions()) == {"target.read", "target.search", "inquiry.check", "target.shared_list",
                                      "target.department_list", "registration.read",
                                      "change_request.slip", "provision_decision.read", "provision_decision.slip",
                                      "target.name_search", "onward_request.list", "onward_request.letter",
                                      "amendment.history_read", "grant_record.slip"}
    assert set(listing_actions()) == {"target.shared_list", "correction.list", "target.department_list",
                                      "intermediary.monitor_view", "intermediary.batch_view", "notice.list",
                                      "reminder.list", "provision_decision.list", "target.name_search",
                                      "change_request.queue"}
    assert set(number_lookup_actions()) == {"target.search", "inquiry.check", "provision_decision.request"}
    # bulk look-ups name the persons matched (AuditEventTarget) and count their numbers (ADR 0017)
    assert set(bulk_lookup_actions()) == {"inquiry.bulk_check", "recipient_filter.run",
                                           "inquiry_file.stamp", "provision_file.check"}
    assert all(AuditAction(a).numbers_key for a in bulk_lookup_actions())
    assert all(AuditAction(a) for a in (*reading_actions(), *listing_actions(), *number_lookup_actions()))


def test_every_action_has_a_unique_dotted_code():
    values = [a.value for a in AuditAction]
    assert len(values) == len(set(values))
    assert all(v.count(".") == 1 and v == v.lower() for v in values)


def test_every_action_has_a_japanese_label_of_its_own():
    labels = [a.label for a in AuditAction]  # a KeyError names an action added without one
    assert all(label and not label.isascii() for label in labels)
    assert len(labels) == len(set(labels))  # an auditor tells any two actions apart
