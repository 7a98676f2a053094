"""Layouts as data (ADR 0042) and their confirmation by a system administrator (ADR 0043)."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from checks.file_layouts import LAYOUT_DIR, LayoutError, load_layout, parse_layout
from checks.models import FileLayoutConfirmation

from .conftest import STAMP_URL, WIDTHS, request_line, send


def definition(**changes) -> dict:
    raw = json.loads((LAYOUT_DIR / "chukan_shokai_request.json").read_text(encoding="utf-8"))
    raw.update(changes)
    return raw


def test_the_shipped_request_layout_is_the_one_of_the_issue():
    layout = load_layout("chukan_shokai_request")
    assert [f.name for f in layout.fields] == [
        "番号体系", "宛名番号", "統合宛名番号", "照会依頼日時", "情報照会者部署コード", "情報照会者ユーザーID",
        "情報照会者機関コード", "照会側不開示コード", "事務コード", "事務手続きコード",
        "情報照会者機関コード（委任元）",
        "情報提供者機関コード（委任元）", "転入元都道府県市区町村コード", "特定個人情報名コード", "照会条件区分",
        "照会年度区分", "照会開始日付", "照会終了日付"]
    assert [f.width for f in layout.fields] == WIDTHS
    assert layout.kind == "inquiry_request" and layout.encoding == "cp932" and layout.line_ending == b"\r\n"
    assert layout.line_length == sum(WIDTHS) + len(WIDTHS) - 1 + 2 == 239
    assert (layout.atena_no.name, layout.integrated_atena_no.name, layout.code.name) == (
        "宛名番号", "統合宛名番号", "照会側不開示コード")
    assert load_layout("manual_provision_example").kind == "manual_provision"


@pytest.mark.parametrize(("changes", "message"), [
    ({"kind": "inquiry"}, "kind"),
    ({"encoding": "euc-jp"}, "encoding"),
    ({"line_ending": "CR"}, "line_ending"),
    ({"code_field": "照会側コード"}, "code_field"),
    ({"atena_no_field": "番号体系"}, "15 バイト"),
    ({"values": {"nondisclosure": "1"}}, "values"),
    ({"values": {"nondisclosure": "10", "disclosure": "0"}}, "幅"),
    ({"values": {"nondisclosure": "1", "disclosure": "1"}}, "同じ"),
    ({"fields": [{"name": "宛名番号", "width": 0, "padding": "zero-left"}]}, "width"),
    ({"name": "other"}, "ファイル名"),
])
def test_the_loader_names_what_is_wrong(changes, message):
    with pytest.raises(LayoutError) as exc:
        parse_layout(json.dumps(definition(**changes), ensure_ascii=False).encode(), "chukan_shokai_request")
    assert message in exc.value.message
    raw = definition()
    del raw["values"]
    with pytest.raises(LayoutError, match="values"):
        parse_layout(json.dumps(raw).encode(), "chukan_shokai_request")
    with pytest.raises(LayoutError, match="JSON"):
        parse_layout(b"{", "chukan_shokai_request")


def test_the_command_prints_the_values_and_refuses_a_non_admin(sysadmin, counter):
    out = StringIO()
    call_command("confirm_file_layout", "chukan_shokai_request", "--by", sysadmin.username, stdout=out)
    text = out.getvalue()
    assert "不開示 = '1'" in text and "開示   = '0'" in text and "照会側不開示コード" in text
    row = FileLayoutConfirmation.objects.get()
    assert row.values == {"nondisclosure": "1", "disclosure": "0"} and row.confirmed_by == sysadmin
    assert row.definition_sha256 == load_layout("chukan_shokai_request").sha256
    event = AuditEvent.objects.get(action="file_layout.confirm", outcome="allowed")
    assert event.detail["values"] == {"nondisclosure": "1", "disclosure": "0"}
    with pytest.raises(CommandError, match="システム管理者"):
        call_command("confirm_file_layout", "chukan_shokai_request", "--by", counter.username, stdout=StringIO())
    assert FileLayoutConfirmation.objects.count() == 1
    assert AuditEvent.objects.filter(action="file_layout.confirm", outcome="denied").count() == 1
    with pytest.raises(CommandError, match="定義ファイル"):
        call_command("confirm_file_layout", "no_such_layout", "--by", sysadmin.username, stdout=StringIO())


def test_a_changed_definition_needs_a_new_confirmation(api, other_counter, sysadmin, register, counter,
                                                       tmp_path, settings):
    register(counter, atena_no="500000000000001")
    settings.FILE_LAYOUT_DIR = str(tmp_path)
    path = tmp_path / "chukan_shokai_request.json"
    path.write_text(json.dumps(definition(), ensure_ascii=False), encoding="utf-8")
    call_command("confirm_file_layout", "chukan_shokai_request", "--by", sysadmin.username, stdout=StringIO())
    client = api(other_counter)
    assert send(client, STAMP_URL, request_line("500000000000001")).status_code == 200
    # The same layout with its code values swapped: a new definition, not confirmed yet.
    path.write_text(json.dumps(definition(values={"nondisclosure": "0", "disclosure": "1"}), ensure_ascii=False),
                    encoding="utf-8")
    assert send(client, STAMP_URL, request_line("500000000000001", code="1")).status_code == 409
    call_command("confirm_file_layout", "chukan_shokai_request", "--by", sysadmin.username, stdout=StringIO())
    resp = send(client, STAMP_URL, request_line("500000000000001", code="1"))
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == request_line("500000000000001", code="0")
