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
    INTERMEDIARY_RECONCILED = "intermediary.reconciled"
    INTERMEDIARY_ALERT_RESEND = "intermediary.alert_resend"
    INTERMEDIARY_ALERT_RESOLVE = "intermediary.alert_resolve"
    INTERMEDIARY_INFO_CODE_REQUEST_CREATE = "intermediary.info_code_request_create"
    INTERMEDIARY_INFO_CODE_REQUEST_APPROVE = "intermediary.info_code_request_approve"
    INTERMEDIARY_INFO_CODE_REQUEST_REJECT = "intermediary.info_code_request_reject"
    # The log itself
    AUDIT_SEARCH = "audit.search"
    AUDIT_EXPORT = "audit.export"
    AUDIT_WHO_HAS_SEEN = "audit.who_has_seen"
    AUDIT_ANOMALIES = "audit.anomalies"
    AUDIT_ANCHOR = "audit.anchor"
    AUDIT_VERIFY = "audit.verify"
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
