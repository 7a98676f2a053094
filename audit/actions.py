"""The one vocabulary of audit actions. Every event names one of these; no free strings.

Per action: whether it showed one person's data (`reads_person`: "who has seen this person"
finds it by target id) and whether it showed many people at once (`lists_people`: the event
names them in detail["target_ids"]). The auditors' screens derive their sets from here."""
import enum


class AuditAction(enum.StrEnum):
    # A person's data, read
    TARGET_READ = "target.read"
    TARGET_LOCK = "target.lock"  # only ever denied: a change attempted on a target the actor may not see
    TARGET_SEARCH = "target.search"
    TARGET_SHARED_LIST = "target.shared_list"
    # The worklist's search by name or kana (ADR 0038): the people found, never the text typed.
    TARGET_NAME_SEARCH = "target.name_search"
    INQUIRY_CHECK = "inquiry.check"
    INQUIRY_BULK_CHECK = "inquiry.bulk_check"
    RECIPIENT_FILTER_RUN = "recipient_filter.run"
    # An inquiry request file stamped with 不開示コード, a manual-provision file checked (ADR 0044,
    # 0045): one event with counts and the persons the file named (AuditEventTarget), never the file.
    INQUIRY_FILE_STAMP = "inquiry_file.stamp"
    PROVISION_FILE_CHECK = "provision_file.check"
    CORRECTION_LIST = "correction.list"
    REVIEW_TASK_LIST = "review_task.list"
    NOTICE_LIST = "notice.list"
    # The auditors' list of notices left unacknowledged past NOTICE_ACK_DAYS (target ids, no names)
    NOTICE_OVERDUE_VIEW = "notice.overdue_view"
    TARGET_DEPARTMENT_LIST = "target.department_list"
    REGISTRATION_READ = "registration.read"
    CHANGE_REQUEST_SLIP = "change_request.slip"  # a 決裁票 shown (and printed): ADR 0028
    CHANGE_REQUEST_QUEUE = "change_request.queue"  # the approval queue, with each person's cases (issue 12)
    REMINDER_LIST = "reminder.list"  # the department's reminders (API, home page): ADR 0026
    DASHBOARD_VIEW = "dashboard.view"  # counts only, per role (ADR 0057)
    ANNUAL_REPORT_READ = "report.annual"  # the counts as of 12月1日, screen / CSV / xlsx (ADR 0058)
    # Manual-provision decisions (ADR 0036): one shown, a list shown, a 決裁票 shown (and printed)
    PROVISION_DECISION_READ = "provision_decision.read"
    PROVISION_DECISION_LIST = "provision_decision.list"
    PROVISION_DECISION_SLIP = "provision_decision.slip"
    ONWARD_REQUEST_LIST = "onward_request.list"  # a target's 転出 設定依頼 (ADR 0040)
    ONWARD_REQUEST_LETTER = "onward_request.letter"  # a 設定依頼 letter shown (and printed): ADR 0040
    # The owning department read a target's amendment history with its before/after values (ADR 0032).
    AMENDMENT_HISTORY_READ = "amendment.history_read"
    # A person's protection, changed
    TARGET_REGISTER = "target.register"
    # Every registration attempt at a counter (new, duplicate, refused, invalid): ADR 0015.
    REGISTRATION_SUBMIT = "registration.submit"
    TARGET_GRANT = "target.grant"
    TARGET_REVOKE = "target.revoke"
    # The owning department registering its own released, withdrawn or rejected person (ADR 0029).
    TARGET_REOPEN = "target.reopen"
    CASE_CONFIRM_PROCEDURE = "case.confirm_procedure"
    CHANGE_REQUEST_REQUEST_RELEASE = "change_request.request_release"
    # An amendment of an active target (added cases, corrected identity, 支援措置): ADR 0030.
    CHANGE_REQUEST_REQUEST_AMEND = "change_request.request_amend"
    CHANGE_REQUEST_APPROVE_AMEND = "change_request.approve_amend"
    CHANGE_REQUEST_REJECT_AMEND = "change_request.reject_amend"
    CHANGE_REQUEST_WITHDRAW_AMEND = "change_request.withdraw_amend"
    CHANGE_REQUEST_APPROVE_SET = "change_request.approve_set"
    CHANGE_REQUEST_APPROVE_RELEASE = "change_request.approve_release"
    CHANGE_REQUEST_REJECT_SET = "change_request.reject_set"
    CHANGE_REQUEST_REJECT_RELEASE = "change_request.reject_release"
    CHANGE_REQUEST_REQUEST_WITHDRAWAL = "change_request.request_withdrawal"
    CHANGE_REQUEST_WITHDRAW_SET = "change_request.withdraw_set"
    CHANGE_REQUEST_WITHDRAW_RELEASE = "change_request.withdraw_release"
    # Transfer of ownership to another department, decided by its head (ADR 0034).
    CHANGE_REQUEST_REQUEST_TRANSFER = "change_request.request_transfer"
    CHANGE_REQUEST_APPROVE_TRANSFER = "change_request.approve_transfer"
    CHANGE_REQUEST_REJECT_TRANSFER = "change_request.reject_transfer"
    CHANGE_REQUEST_WITHDRAW_TRANSFER = "change_request.withdraw_transfer"
    GRANT_RECORD_SLIP = "grant_record.slip"  # the 決裁票 of a grant or revoke shown (and printed)
    CHANGE_REQUEST_DECIDE = "change_request.decide"  # only ever denied: a decision refused by policy
    CORRECTION_REQUEST = "correction.request"
    CORRECTION_COMPLETE = "correction.complete"
    REVIEW_TASK_CLOSE = "review_task.close"
    # A manual-provision decision recorded by the contact point (a lookup by a typed 宛名番号),
    # approved or rejected by its head (ADR 0036, 0037).
    PROVISION_DECISION_REQUEST = "provision_decision.request"
    PROVISION_DECISION_APPROVE = "provision_decision.approve"
    PROVISION_DECISION_REJECT = "provision_decision.reject"
    ONWARD_REQUEST_ISSUE = "onward_request.issue"  # a 転出 設定依頼 to the new municipality (ADR 0040)
    ONWARD_REQUEST_CONFIRM = "onward_request.confirm"  # that municipality confirmed it set its measures
    NOTICE_ACKNOWLEDGE = "notice.acknowledge"
    JUMIN_PUSH = "jumin.push"
    JUMIN_SUPPORT_START = "jumin.support_start"
    JUMIN_SUPPORT_EXTEND = "jumin.support_extend"
    JUMIN_SUPPORT_END = "jumin.support_end"
    # The daily job alerted a department's approvers of overdue reminders (ADR 0026).
    REMINDER_ALERT = "reminder.alert"
    # Accounts and access
    API_DENIED = "api.denied"
    SCREEN_DENIED = "screen.denied"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOGOUT = "auth.logout"
    AUTH_TOTP_ENROL = "auth.totp_enrol"
    AUTH_TOTP_FAILED = "auth.totp_failed"
    AUTH_TOTP_VERIFIED = "auth.totp_verified"
    STAFF_CREATE = "staff.create"
    STAFF_UPDATE = "staff.update"
    STAFF_TOTP_RESET = "staff.totp_reset"
    # The April 人事異動 (ADR 0082): an account ended, a move to another department, a roster import.
    STAFF_DEACTIVATE = "staff.deactivate"
    STAFF_MOVE = "staff.move"
    STAFF_ROSTER_IMPORT = "staff.roster_import"
    DEPARTMENT_CREATE = "department.create"
    DEPARTMENT_UPDATE = "department.update"
    API_TOKEN_ISSUE = "api_token.issue"  # noqa: S105 - an action name, not a secret
    API_TOKEN_REVOKE = "api_token.revoke"  # noqa: S105 - an action name, not a secret
    SYSTEM_CLIENT_CREATE = "system_client.create"
    SYSTEM_CLIENT_REVOKE = "system_client.revoke"
    SYSTEM_CLIENT_AUTHENTICATE = "system_client.authenticate"
    # A system administrator confirmed a file layout's code values (ADR 0043).
    FILE_LAYOUT_CONFIRM = "file_layout.confirm"
    # The intermediate server
    INTERMEDIARY_MONITOR_VIEW = "intermediary.monitor_view"
    INTERMEDIARY_BATCH_VIEW = "intermediary.batch_view"
    INTERMEDIARY_OPERATION_CLAIMED = "intermediary.operation_claimed"
    INTERMEDIARY_OPERATION_COVERED = "intermediary.operation_covered"
    INTERMEDIARY_OPERATION_REFLECTED = "intermediary.operation_reflected"
    INTERMEDIARY_OPERATION_FAILED = "intermediary.operation_failed"
    INTERMEDIARY_OPERATION_DEAD = "intermediary.operation_dead"
    INTERMEDIARY_OPERATION_RETRY = "intermediary.operation_retry"
    INTERMEDIARY_BATCH_OPENED = "intermediary.batch_opened"
    INTERMEDIARY_BATCH_PUBLISHED = "intermediary.batch_published"
    INTERMEDIARY_BATCH_RESULTED = "intermediary.batch_resulted"
    INTERMEDIARY_RESULT_QUARANTINED = "intermediary.result_quarantined"
    INTERMEDIARY_SWEEP = "intermediary.sweep"
    INTERMEDIARY_FAILING_ALERT = "intermediary.failing_alert"
    INTERMEDIARY_RECONCILED = "intermediary.reconciled"
    INTERMEDIARY_ALERT_RESEND = "intermediary.alert_resend"
    INTERMEDIARY_ALERT_RESOLVE = "intermediary.alert_resolve"
    INTERMEDIARY_INFO_CODE_REQUEST_CREATE = "intermediary.info_code_request_create"
    INTERMEDIARY_INFO_CODE_REQUEST_APPROVE = "intermediary.info_code_request_approve"
    INTERMEDIARY_INFO_CODE_REQUEST_REJECT = "intermediary.info_code_request_reject"
    # Retention jobs (ADR 0080, 0081): what each run removed or erased, as counts and ids only.
    RETENTION_SESSIONS_CLEARED = "retention.sessions_cleared"
    RETENTION_LOGIN_ATTEMPTS_PURGED = "retention.login_attempts_purged"
    RETENTION_FILES_ARCHIVED = "retention.files_archived"
    RETENTION_PERSONAL_DATA_ERASED = "retention.personal_data_erased"
    # The log itself
    AUDIT_SEARCH = "audit.search"
    AUDIT_EXPORT = "audit.export"
    AUDIT_WHO_HAS_SEEN = "audit.who_has_seen"
    AUDIT_ANOMALIES = "audit.anomalies"
    AUDIT_ANCHOR = "audit.anchor"
    AUDIT_VERIFY = "audit.verify"
    # A closed day's per-person counts for the anomaly view, written once (ADR 0070)
    AUDIT_DAY_COUNTS = "audit.day_counts"
    AUDIT_CHAIN_HEAD_RESYNCED = "audit.chain_head_resynced"
    AUDIT_SINK_FAILED = "audit.sink_failed"  # only ever denied: an anchor or result the file sink did not take

    @property
    def reads_person(self) -> bool:
        return self in _READS_PERSON

    @property
    def lists_people(self) -> bool:
        return self in _LISTS_PEOPLE

    @property
    def names_hits(self) -> bool:
        """A bulk look-up: the persons it matched are rows of AuditEventTarget (ids only), and the
        numbers it looked up are counted in detail[numbers_key] (ADR 0017)."""
        return self in _BULK_NUMBERS_KEY

    @property
    def numbers_key(self) -> str:
        """The detail key holding how many numbers a bulk look-up read ("" if not one)."""
        return _BULK_NUMBERS_KEY.get(self, "")

    @property
    def label(self) -> str:
        """The Japanese an auditor reads on the screens and in the CSV (issue 12)."""
        return _LABELS[self]

    @property
    def looks_up_number(self) -> bool:
        """A lookup by a typed atena_no (its detail holds the number): many in a day is an anomaly."""
        return self in _LOOKS_UP_NUMBER


_READS_PERSON = frozenset({
    AuditAction.TARGET_READ, AuditAction.TARGET_SEARCH, AuditAction.TARGET_SHARED_LIST, AuditAction.INQUIRY_CHECK,
    AuditAction.TARGET_DEPARTMENT_LIST, AuditAction.REGISTRATION_READ, AuditAction.CHANGE_REQUEST_SLIP,
    AuditAction.PROVISION_DECISION_READ, AuditAction.PROVISION_DECISION_SLIP,
    AuditAction.TARGET_NAME_SEARCH, AuditAction.ONWARD_REQUEST_LIST, AuditAction.ONWARD_REQUEST_LETTER,
    AuditAction.AMENDMENT_HISTORY_READ,
    AuditAction.GRANT_RECORD_SLIP,
})
_LISTS_PEOPLE = frozenset({
    AuditAction.TARGET_SHARED_LIST, AuditAction.CORRECTION_LIST, AuditAction.TARGET_DEPARTMENT_LIST,
    AuditAction.TARGET_NAME_SEARCH,
    # The approval queue shows each person's cases and measures (issue 12).
    AuditAction.CHANGE_REQUEST_QUEUE,
    # The notices (set / release / amend) on a linkage department's home page and API show
    # each person's atena_no and name.
    AuditAction.NOTICE_LIST,
    # The reminders on the API and the home page name each person (ADR 0026).
    AuditAction.REMINDER_LIST,
    # A list of manual-provision decisions shows each person's 宛名番号 (ADR 0036).
    AuditAction.PROVISION_DECISION_LIST,
    # The system admins' sync screens show the atena_no of failing operations and alerts (ADR 0021).
    AuditAction.INTERMEDIARY_MONITOR_VIEW, AuditAction.INTERMEDIARY_BATCH_VIEW,
})
_LOOKS_UP_NUMBER = frozenset({AuditAction.TARGET_SEARCH, AuditAction.INQUIRY_CHECK,
                              AuditAction.PROVISION_DECISION_REQUEST})
_BULK_NUMBERS_KEY = {AuditAction.INQUIRY_BULK_CHECK: "count", AuditAction.RECIPIENT_FILTER_RUN: "records",
                     AuditAction.INQUIRY_FILE_STAMP: "lines", AuditAction.PROVISION_FILE_CHECK: "lines"}


def reading_actions() -> tuple[str, ...]:
    """Actions that showed one person's data (by target id)."""
    return tuple(sorted(a.value for a in AuditAction if a.reads_person))


def number_lookup_actions() -> tuple[str, ...]:
    """Actions that looked a person up by a typed atena_no."""
    return tuple(sorted(a.value for a in AuditAction if a.looks_up_number))


def listing_actions() -> tuple[str, ...]:
    """Actions that showed many people at once (detail["target_ids"])."""
    return tuple(sorted(a.value for a in AuditAction if a.lists_people))


def bulk_lookup_actions() -> tuple[str, ...]:
    """Bulk look-ups: they name the persons matched (AuditEventTarget) and count their numbers."""
    return tuple(sorted(a.value for a in AuditAction if a.names_hits))

# Every action's Japanese label: tests/audit/test_vocabulary.py checks none is missing.
_LABELS: dict[AuditAction, str] = {
    AuditAction.TARGET_READ: "対象者の記録の閲覧",
    AuditAction.TARGET_LOCK: "対象者の記録の変更（対象の確認）",
    AuditAction.TARGET_SEARCH: "宛名番号による検索",
    AuditAction.TARGET_SHARED_LIST: "閲覧を許可された対象者の一覧",
    AuditAction.TARGET_NAME_SEARCH: "氏名による検索",
    AuditAction.INQUIRY_CHECK: "照会時確認",
    AuditAction.INQUIRY_BULK_CHECK: "照会時確認（一括）",
    AuditAction.RECIPIENT_FILTER_RUN: "送付先の抽出",
    AuditAction.INQUIRY_FILE_STAMP: "照会ファイルへの記入",
    AuditAction.PROVISION_FILE_CHECK: "手動提供ファイルの確認",
    AuditAction.CORRECTION_LIST: "不開示追記の依頼一覧",
    AuditAction.REVIEW_TASK_LIST: "確認作業の一覧",
    AuditAction.NOTICE_LIST: "通知の一覧",
    AuditAction.NOTICE_OVERDUE_VIEW: "未確認の通知の一覧（監査）",
    AuditAction.TARGET_DEPARTMENT_LIST: "所属の対象者一覧",
    AuditAction.REGISTRATION_READ: "受付票の閲覧",
    AuditAction.CHANGE_REQUEST_SLIP: "決裁票の表示",
    AuditAction.CHANGE_REQUEST_QUEUE: "承認待ち一覧の表示",
    AuditAction.REMINDER_LIST: "期限の案内の一覧",
    AuditAction.DASHBOARD_VIEW: "ダッシュボード（件数のグラフ）の表示",
    AuditAction.ANNUAL_REPORT_READ: "12月1日現在の件数報告の表示・出力",
    AuditAction.PROVISION_DECISION_READ: "手動提供の判断の閲覧",
    AuditAction.PROVISION_DECISION_LIST: "手動提供の判断の一覧",
    AuditAction.PROVISION_DECISION_SLIP: "手動提供の判断の決裁票",
    AuditAction.ONWARD_REQUEST_LIST: "転出先への設定依頼の一覧",
    AuditAction.ONWARD_REQUEST_LETTER: "転出先への設定依頼文の表示",
    AuditAction.AMENDMENT_HISTORY_READ: "設定内容の変更履歴の閲覧",
    AuditAction.TARGET_REGISTER: "対象者の登録",
    AuditAction.REGISTRATION_SUBMIT: "申出の受付",
    AuditAction.TARGET_GRANT: "他の所属への閲覧の許可",
    AuditAction.TARGET_REVOKE: "閲覧の許可の取消し",
    AuditAction.TARGET_REOPEN: "保護の再開（新しい保護の期間）",
    AuditAction.CASE_CONFIRM_PROCEDURE: "手続の完了確認",
    AuditAction.CHANGE_REQUEST_REQUEST_RELEASE: "解除の申請",
    AuditAction.CHANGE_REQUEST_REQUEST_AMEND: "設定内容の変更の申請",
    AuditAction.CHANGE_REQUEST_APPROVE_AMEND: "設定内容の変更の承認",
    AuditAction.CHANGE_REQUEST_REJECT_AMEND: "設定内容の変更の却下",
    AuditAction.CHANGE_REQUEST_WITHDRAW_AMEND: "設定内容の変更の取下げ",
    AuditAction.CHANGE_REQUEST_APPROVE_SET: "設定の承認",
    AuditAction.CHANGE_REQUEST_APPROVE_RELEASE: "解除の承認",
    AuditAction.CHANGE_REQUEST_REJECT_SET: "設定の却下",
    AuditAction.CHANGE_REQUEST_REJECT_RELEASE: "解除の却下",
    AuditAction.CHANGE_REQUEST_REQUEST_WITHDRAWAL: "登録の取下げの申出",
    AuditAction.CHANGE_REQUEST_WITHDRAW_SET: "登録の取下げ",
    AuditAction.CHANGE_REQUEST_WITHDRAW_RELEASE: "解除の申請の取下げ",
    AuditAction.CHANGE_REQUEST_REQUEST_TRANSFER: "所管の移管の申請",
    AuditAction.CHANGE_REQUEST_APPROVE_TRANSFER: "所管の移管の承認",
    AuditAction.CHANGE_REQUEST_REJECT_TRANSFER: "所管の移管の却下",
    AuditAction.CHANGE_REQUEST_WITHDRAW_TRANSFER: "所管の移管の取下げ",
    AuditAction.GRANT_RECORD_SLIP: "閲覧の許可の決裁票",
    AuditAction.CHANGE_REQUEST_DECIDE: "承認・却下（権限なし）",
    AuditAction.CORRECTION_REQUEST: "不開示追記の依頼",
    AuditAction.CORRECTION_COMPLETE: "不開示追記の完了",
    AuditAction.REVIEW_TASK_CLOSE: "確認作業の完了",
    AuditAction.PROVISION_DECISION_REQUEST: "手動提供の判断の申請",
    AuditAction.PROVISION_DECISION_APPROVE: "手動提供の判断の承認",
    AuditAction.PROVISION_DECISION_REJECT: "手動提供の判断の却下",
    AuditAction.ONWARD_REQUEST_ISSUE: "転出先への設定依頼",
    AuditAction.ONWARD_REQUEST_CONFIRM: "転出先への設定依頼の確認",
    AuditAction.NOTICE_ACKNOWLEDGE: "通知の確認",
    AuditAction.JUMIN_PUSH: "住基からの連携",
    AuditAction.JUMIN_SUPPORT_START: "住基DV等支援措置の開始",
    AuditAction.JUMIN_SUPPORT_EXTEND: "住基DV等支援措置の延長",
    AuditAction.JUMIN_SUPPORT_END: "住基DV等支援措置の終了",
    AuditAction.REMINDER_ALERT: "期限の警告",
    AuditAction.API_DENIED: "APIの拒否",
    AuditAction.SCREEN_DENIED: "画面の拒否",
    AuditAction.AUTH_LOGIN: "ログイン",
    AuditAction.AUTH_LOGIN_FAILED: "ログイン失敗",
    AuditAction.AUTH_LOGOUT: "ログアウト",
    AuditAction.AUTH_TOTP_ENROL: "二要素認証の登録",
    AuditAction.AUTH_TOTP_FAILED: "二要素認証の失敗",
    AuditAction.AUTH_TOTP_VERIFIED: "二要素認証の成功",
    AuditAction.STAFF_CREATE: "職員の登録",
    AuditAction.STAFF_UPDATE: "職員の変更",
    AuditAction.STAFF_TOTP_RESET: "二要素認証の再設定",
    AuditAction.STAFF_DEACTIVATE: "職員アカウントの無効化（異動・退職）",
    AuditAction.STAFF_MOVE: "職員の所属の異動",
    AuditAction.STAFF_ROSTER_IMPORT: "職員名簿の取込み",
    AuditAction.DEPARTMENT_CREATE: "所属の登録",
    AuditAction.DEPARTMENT_UPDATE: "所属の変更",
    AuditAction.API_TOKEN_ISSUE: "APIトークンの発行",
    AuditAction.API_TOKEN_REVOKE: "APIトークンの失効",
    AuditAction.SYSTEM_CLIENT_CREATE: "連携システムの登録",
    AuditAction.SYSTEM_CLIENT_REVOKE: "連携システムの失効",
    AuditAction.SYSTEM_CLIENT_AUTHENTICATE: "連携システムの認証",
    AuditAction.FILE_LAYOUT_CONFIRM: "ファイルレイアウトの確認",
    AuditAction.INTERMEDIARY_MONITOR_VIEW: "中間サーバー同期状況の表示",
    AuditAction.INTERMEDIARY_BATCH_VIEW: "XML一括ファイルの表示",
    AuditAction.INTERMEDIARY_OPERATION_CLAIMED: "中間サーバーへの送信開始",
    AuditAction.INTERMEDIARY_OPERATION_COVERED: "中間サーバーへの操作の統合",
    AuditAction.INTERMEDIARY_OPERATION_REFLECTED: "中間サーバーへの反映",
    AuditAction.INTERMEDIARY_OPERATION_FAILED: "中間サーバーへの反映の失敗",
    AuditAction.INTERMEDIARY_OPERATION_DEAD: "中間サーバーへの反映の断念",
    AuditAction.INTERMEDIARY_OPERATION_RETRY: "中間サーバーへの再試行",
    AuditAction.INTERMEDIARY_BATCH_OPENED: "XML一括ファイルの作成",
    AuditAction.INTERMEDIARY_BATCH_PUBLISHED: "XML一括ファイルの送信",
    AuditAction.INTERMEDIARY_BATCH_RESULTED: "XML一括ファイルの結果受領",
    AuditAction.INTERMEDIARY_RESULT_QUARANTINED: "結果ファイルの隔離",
    AuditAction.INTERMEDIARY_SWEEP: "滞留した操作の点検",
    AuditAction.INTERMEDIARY_FAILING_ALERT: "中間サーバーへの送信失敗の継続（システム管理者へのアラート）",
    AuditAction.INTERMEDIARY_RECONCILED: "中間サーバーとの突合",
    AuditAction.INTERMEDIARY_ALERT_RESEND: "アラートからの再送",
    AuditAction.INTERMEDIARY_ALERT_RESOLVE: "アラートの対応済み",
    AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_CREATE: "特定個人情報名コード単位の設定・解除の申請",
    AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_APPROVE: "特定個人情報名コード単位の設定・解除の承認",
    AuditAction.INTERMEDIARY_INFO_CODE_REQUEST_REJECT: "特定個人情報名コード単位の設定・解除の却下",
    AuditAction.RETENTION_SESSIONS_CLEARED: "期限切れのログイン情報（セッション）の削除",
    AuditAction.RETENTION_LOGIN_ATTEMPTS_PURGED: "保存期間を過ぎたログイン試行記録の削除",
    AuditAction.RETENTION_FILES_ARCHIVED: "中間サーバー連携ファイルの保管（アーカイブ）と削除",
    AuditAction.RETENTION_PERSONAL_DATA_ERASED: "保存期間（解除後7年）を過ぎた個人情報の消去",
    AuditAction.AUDIT_SEARCH: "監査ログの検索",
    AuditAction.AUDIT_EXPORT: "監査ログのCSV出力",
    AuditAction.AUDIT_WHO_HAS_SEEN: "閲覧者の確認",
    AuditAction.AUDIT_ANOMALIES: "異常の確認",
    AuditAction.AUDIT_ANCHOR: "監査ログの固定（アンカー）",
    AuditAction.AUDIT_VERIFY: "監査ログの検証",
    AuditAction.AUDIT_DAY_COUNTS: "異常確認用の日次集計",
    AuditAction.AUDIT_CHAIN_HEAD_RESYNCED: "監査ログの連鎖の再同期",
    AuditAction.AUDIT_SINK_FAILED: "監査ログの外部保存の失敗",
}
