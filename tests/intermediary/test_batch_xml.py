"""Writer, validation before publish, and hardened inbound parsing."""
import uuid

import pytest

from intermediary import batch_xml
from intermediary.batch_xml import Header, InvalidBatch, Record, RecordResult

HEADER = Header(uuid.uuid4().hex, "TBF001", "1", "LG131041", "CHUKAN01", "000001")


def write(path, records):
    return batch_xml.publish_batch(path, lambda f: batch_xml.write_batch(
        f, header=HEADER, flag_kind="NO_AUTO_RESPONSE", municipality_code="131041",
        window_at="2026-11-24T10:05:00+09:00", records=records))


def rec(i, key="100000000000001", unit="atena"):
    return Record(i, str(uuid.uuid4()), unit, key, "NO_AUTO_RESPONSE", "set")


def test_valid_batch_is_published_with_header_and_checksum(tmp_path):
    path = tmp_path / "out" / "FLAG_NO_AUTO_RESPONSE_131041_202611241005_1.xml"
    count, sha = write(path, [rec(1), rec(2, "TM00000000000003", "info_code")])
    assert count == 2 and sha == batch_xml.file_sha256(path)
    text = path.read_text(encoding="utf-8")
    for tag in ("<MSGID>", "<MSGTypeID>TBF001<", "<MSGMode>1<", "<SourceSystemID>LG131041<",
                "<DestinationSystemID>CHUKAN01<", "<ReceptionNumber>000001<", "<MSGResult",
                "<InfoCode>TM00000000000003<",
                "<RecordCount>2<"):
        assert tag in text
    assert [r.record_no for r in batch_xml.iter_batch_records(path)] == [1, 2]
    assert not any((path.parent / ".tmp").iterdir())


@pytest.mark.parametrize("bad", [rec(1, "12345"), rec(1, "TM123", "info_code"),
                                 Record(1, "not-a-uuid", "atena", "100000000000001", "NO_AUTO_RESPONSE", "set"),
                                 Record(1, str(uuid.uuid4()), "atena", "100000000000001", "NO_AUTO_RESPONSE",
                                        "toggle")])
def test_invalid_batch_is_never_published(tmp_path, bad):
    path = tmp_path / "out" / "FLAG_NO_AUTO_RESPONSE_131041_202611241005_1.xml"
    with pytest.raises(InvalidBatch):
        write(path, [rec(1), bad])
    assert not path.exists()
    assert not any((path.parent / ".tmp").iterdir())


def _result(tmp_path, results):
    path = tmp_path / "r.result.xml"
    batch_xml.write_result_file(path, header=HEADER, source_name="x.xml", source_sha256="a" * 64, results=results)
    return path


def test_result_file_round_trip(tmp_path):
    rid = str(uuid.uuid4())
    parsed = batch_xml.parse_result_file(_result(tmp_path, [RecordResult(1, rid, True),
                                                            RecordResult(2, str(uuid.uuid4()), False, "E201", "bad")]))
    assert parsed.source_name == "x.xml" and parsed.results[0] == RecordResult(1, rid, True)
    assert parsed.results[1].error_code == "E201"


XXE = """<?xml version="1.0"?>
<!DOCTYPE FlagBatchResult [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<FlagBatchResult><MessageHeader><MSGID>&x;</MSGID></MessageHeader></FlagBatchResult>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<FlagBatchResult>&c;</FlagBatchResult>"""


@pytest.mark.parametrize("content", [XXE, LAUGHS, "<FlagBatchResult><unclosed></FlagBatchResult>", "not xml at all"])
def test_hostile_or_malformed_result_is_rejected(tmp_path, content):
    path = tmp_path / "evil.result.xml"
    path.write_text(content)
    with pytest.raises(InvalidBatch):
        batch_xml.parse_result_file(path)
