from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.normalize import ATENA_PATTERN


class HarmType(models.TextChoices):
    DV = "dv", "配偶者等からの暴力（DV）"
    STALKING = "stalking", "ストーカー行為等"
    CHILD_ABUSE = "child_abuse", "児童虐待"
    ELDER_ABUSE = "elder_abuse", "高齢者虐待"
    DISABLED_ABUSE = "disabled_abuse", "障害者虐待"
    OTHER = "other", "その他これらに準ずる行為"


class Basis(models.TextChoices):
    REQUEST = "request", "本人の申出"
    EX_OFFICIO = "ex_officio", "職権（申出によらない）"


class TargetStatus(models.TextChoices):
    PENDING = "pending", "登録承認待ち"
    ACTIVE = "active", "設定中"
    REJECTED = "rejected", "登録却下"
    RELEASED = "released", "解除済み"
    WITHDRAWN = "withdrawn", "登録取下げ"


class RequestOrigin(models.TextChoices):
    """Where the request for the settings came from (ADR 0039, DOMAIN.md §7)."""
    COUNTER = "counter", "本人（窓口での申出）"
    DV_CENTER = "dv_center", "配偶者暴力相談支援センターからの設定依頼"
    CHILD_GUIDANCE = "child_guidance", "児童相談所からの設定依頼"
    MUNICIPALITY = "municipality", "他の市区町村からの設定依頼"
    OTHER = "other", "その他の関係機関からの設定依頼"


# Statuses in which the inquiry-time check protects the person. A pending
# registration already protects: when in doubt, protect (DESIGN.md flow 1).
PROTECTING_STATUSES = (TargetStatus.PENDING, TargetStatus.ACTIVE)


class Target(models.Model):
    """設定対象者, keyed by 団体内統合宛名番号 (atena_no)."""

    atena_no = models.CharField("団体内統合宛名番号", max_length=15, unique=True)
    # The standard business systems' 宛名番号 (住民宛名番号 / 住登外者宛名番号), an alias of
    # atena_no at the check (ADR 0046, 0047). Unique here; never another target's atena_no
    # (a cross-column rule the services keep under a lock). Unique also indexes it: the
    # single check looks it up as fast as atena_no.
    standard_atena_no = models.CharField("宛名番号（標準準拠システム）", max_length=15, null=True, blank=True,
                                         unique=True)
    name = models.CharField("氏名", max_length=100)
    name_kana = models.CharField("氏名（カナ）", max_length=100)
    # Empty once erased after the record period (ADR 0081); a new registration fills it again.
    birth_date = models.DateField("生年月日", null=True)
    harm_types = models.JSONField("被害の種類", default=list)
    owning_department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="targets")
    status = models.CharField(max_length=10, choices=TargetStatus.choices, default=TargetStatus.PENDING)

    # DOMAIN.md §2: ア victim, イ fled, ウ request or ex officio; each with who confirmed it and when.
    is_victim = models.BooleanField("ア DV・虐待等被害者である", default=False)
    is_victim_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_victim_confirmed_at = models.DateTimeField()
    fled = models.BooleanField("イ 加害者から避難している", default=False)
    fled_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fled_confirmed_at = models.DateTimeField()
    basis = models.CharField("ウ 設定の根拠", max_length=12, choices=Basis.choices)
    basis_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    basis_confirmed_at = models.DateTimeField()

    jumin_support_active = models.BooleanField("住基DV等支援措置の対象", default=False)
    jumin_support_start = models.DateField("支援措置 開始日", null=True, blank=True)
    jumin_support_end = models.DateField("支援措置 終了日", null=True, blank=True)

    explained_mynaportal = models.BooleanField("マイナポータルの利用制限を説明した", default=False)
    explained_jumin = models.BooleanField("住民票の異動・支援措置について説明した", default=False)
    explained_card_suspension = models.BooleanField("カード・電子証明書の利用停止手続を説明した", default=False)
    explained_agent_release = models.BooleanField("代理人設定の解除を説明した", default=False)

    # Where the request came from (ADR 0039): the person at the counter, or a 設定依頼 of an
    # outside body, which then has a name and the date it was received.
    request_origin = models.CharField("申出の経路", max_length=16, choices=RequestOrigin.choices,
                                      default=RequestOrigin.COUNTER)
    request_body_name = models.CharField("設定依頼をした機関の名称", max_length=100, blank=True)
    request_received_on = models.DateField("設定依頼の受付日", null=True, blank=True)

    notes = models.TextField("備考", blank=True)
    # When the personal data (name, kana, birth date, notes, abusers' names, receipts) was
    # erased, PERSONAL_DATA_RETENTION_YEARS after the protection ended (ADR 0081).
    personal_data_erased_at = models.DateTimeField("個人情報の消去日時", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(atena_no__regex=ATENA_PATTERN), name="target_atena_no_15_digits"),
            models.CheckConstraint(
                condition=models.Q(standard_atena_no__isnull=True) | models.Q(standard_atena_no__regex=ATENA_PATTERN),
                name="target_standard_atena_no_15_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(request_origin="counter")
                | (~models.Q(request_body_name="") & models.Q(request_received_on__isnull=False)),
                name="target_outside_request_has_body_and_date",
            ),
        ]

    def __str__(self) -> str:  # never the name: str() ends up in logs
        return f"Target#{self.pk}"


class CaseType(models.TextChoices):
    C1_I = "1-I", "①-I 加害者に対する情報照会で避難先が知られるおそれ"
    C2_I = "2-I", "②-I カード・証明書搭載スマホの残置、または加害者が代理人"
    C2_II = "2-II", "②-II 加害者が法定代理人（親権者・成年後見人）"


class LegalRepresentative(models.TextChoices):
    PARENT = "parent", "親権者（未成年者の法定代理人）"
    GUARDIAN = "guardian", "成年後見人"
    OTHER = "other", "その他の法定代理人"


class ProtectionPeriod(models.Model):
    """One period of protection of a target (ADR 0029). A target protected once has none: its
    first period is recorded when the owning department registers the person again after a
    release, withdrawal or rejection, which closes it and opens the next one on the same
    target. Each period keeps its own cases, so the history keeps every earlier period."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="periods")
    number = models.PositiveIntegerField("期")
    started_at = models.DateTimeField("開始")
    ended_at = models.DateTimeField("終了", null=True, blank=True)
    opened_by_registration = models.OneToOneField(
        "victims.Registration", null=True, blank=True, on_delete=models.PROTECT, related_name="opened_period"
    )

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["target", "number"], name="protection_period_number_unique")]

    def __str__(self) -> str:
        return f"ProtectionPeriod#{self.pk}({self.number})"


class CaseAssessment(models.Model):
    """One case type applying to a target; several may apply at once (measures are the union)."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="cases")
    # The period the case belongs to; empty for a target never reopened (its only period).
    period = models.ForeignKey(ProtectionPeriod, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="cases")
    case_type = models.CharField("類型", max_length=5, choices=CaseType.choices)
    active = models.BooleanField(default=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    # ①-I
    abuser_atena_no = models.CharField("加害者の団体内統合宛名番号", max_length=15, blank=True, db_index=True)
    abuser_name = models.CharField("加害者の氏名", max_length=100, blank=True)

    # ②-I: what was left behind / set, and the confirmation that its suspension is complete.
    card_left = models.BooleanField("マイナンバーカードを加害者の元に残置", default=False)
    card_suspension_confirmed_on = models.DateField("カード利用停止等 完了確認日", null=True, blank=True)
    card_suspension_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    smartphone_left = models.BooleanField("証明書搭載スマホを残置", default=False)
    smartphone_suspension_confirmed_on = models.DateField("スマホ用証明書失効等 完了確認日", null=True, blank=True)
    smartphone_suspension_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agent_set = models.BooleanField("加害者がマイナポータルの代理人", default=False)
    agent_release_confirmed_on = models.DateField("代理人解除 完了確認日", null=True, blank=True)
    agent_release_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # ②-II
    legal_representative = models.CharField(
        "法定代理人の種類", max_length=10, choices=LegalRepresentative.choices, blank=True
    )
    end_condition = models.CharField("終了条件", max_length=200, blank=True)
    representation_ended_on = models.DateField("法定代理権の終了確認日", null=True, blank=True)
    representation_ended_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(case_type="1-I") | models.Q(abuser_atena_no__regex=ATENA_PATTERN),
                name="case_1_1_has_abuser_atena_no",
            ),
        ]
        indexes = [
            # The reminders read a department's live cases of one type (②-I procedures, ②-II
            # majority): after seven years most cases have ended, and without it each read is a
            # scan of all of them (issue 14).
            models.Index(fields=["case_type", "target"], condition=models.Q(active=True), name="case_active_by_type"),
        ]

    def __str__(self) -> str:
        return f"Case#{self.pk}({self.case_type})"


class NoticeKind(models.TextChoices):
    """What changed for the linkage departments (never why: no case, no abuser)."""
    SET = "set", "設定"
    RELEASE = "release", "解除"
    AMEND = "amend", "設定内容の変更"


# What the recipient must do (DOMAIN §3: until the 利用停止手続 completes a target stays out of
# every お知らせ 宛先ファイル; after a release the person may be restored to it).
NOTICE_MESSAGES = {
    NoticeKind.SET: "設定対象者になりました。マイナポータルのお知らせの宛先ファイル等から除外してください。"
                    "情報照会・提供の前には「照会時確認」で不開示コードの要否を確認してください。",
    NoticeKind.RELEASE: "設定対象者から外れました（設定解除が承認されました）。宛先ファイル等への復帰が可能です。",
    NoticeKind.AMEND: "設定内容が変更されました（引き続き設定対象者です）。宛先ファイル等からの除外を続け、"
                      "照会・提供の前には「照会時確認」で不開示コードの要否を確認してください。",
}


class Notice(models.Model):
    """Tells another linkage department that a person's protection changed: set (joined the
    shared list), released (left it) or amended (still a target, protection changed). It
    carries only what the shared list shows (氏名, atena_no), as it was when told. The
    recipient acknowledges it once (who and when); the owning department sees that."""

    department = models.ForeignKey("accounts.Department", on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField("通知の種類", max_length=10, choices=NoticeKind.choices)
    atena_no = models.CharField(max_length=15)
    name = models.CharField("氏名", max_length=100, blank=True)
    change_request = models.ForeignKey("flags.ChangeRequest", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField("確認日時", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "flags_notice"  # moved from flags without copying data (ADR 0010)
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "created_at"], name="notice_department_created"),
            # A department's unacknowledged notices (its home page, the overdue count, the
            # reminder): a few among the millions acknowledged over the years (issue 14).
            models.Index(fields=["department", "created_at"], condition=models.Q(acknowledged_at__isnull=True),
                         name="notice_unacknowledged"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="notice_acknowledged_by_and_at_together",
            ),
            # One notice per department and decision: a retried approval cannot tell twice.
            models.UniqueConstraint(fields=["change_request", "department"], name="notice_one_per_department"),
        ]

    def __str__(self) -> str:
        return f"Notice#{self.pk}({self.kind})"

    @property
    def message(self) -> str:
        return NOTICE_MESSAGES.get(NoticeKind(self.kind), "")


class ReviewTaskKind(models.TextChoices):
    INTAKE_REQUIRED = "intake_required", "住基支援措置の対象者：類型の確認・登録内容の補完が必要"
    JUMIN_REOPENED = "jumin_reopened", "解除済み等の対象者が住基支援措置の対象になった：再設定の確認"
    JUMIN_ENDED = "jumin_ended", "住基支援措置が終了：設定継続か解除かの検討"
    ALSO_SUPPORTED = "also_supported", "他の所属もこの方を支援しています：閲覧の許可または連携の調整"


class ReviewTaskStatus(models.TextChoices):
    OPEN = "open", "未対応"
    DONE = "done", "対応済み"


class ReviewTask(models.Model):
    """Work for the owning department that an outside event raised. It never changes flags:
    an ended 住基支援措置, in particular, is reviewed by a person, never released by itself."""

    target = models.ForeignKey("victims.Target", on_delete=models.PROTECT, related_name="review_tasks")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="review_tasks")
    kind = models.CharField(max_length=20, choices=ReviewTaskKind.choices)
    status = models.CharField(max_length=10, choices=ReviewTaskStatus.choices, default=ReviewTaskStatus.OPEN)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        db_table = "integration_reviewtask"  # moved from integration without copying data (ADR 0010)
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["department", "status"])]

    def __str__(self) -> str:
        return f"ReviewTask#{self.pk}({self.kind}, {self.status})"


class Registration(models.Model):
    """受付票: one registration submitted at a counter (screen or API), kept for the
    registering department. It answers "受付済" whatever became of it (ADR 0015): the
    outcome, a new target or a task for the department that already owns the person, is
    recorded for the owning side and the auditors and never shown to the registering one."""

    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    intake = models.JSONField("申出の内容", encoder=DjangoJSONEncoder)
    # The outcome (exactly one of the two).
    created_target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_task = models.OneToOneField(
        ReviewTask, null=True, blank=True, on_delete=models.PROTECT, related_name="registration"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(created_target__isnull=True) ^ models.Q(review_task__isnull=True),
                name="registration_has_one_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Registration#{self.pk}"

    @property
    def reopened_target(self) -> Target | None:
        """The target this receipt protected again (the owner's own registration), or None.
        A target's first receipt may open period 1 (recorded at the first reopening): not a reopening."""
        try:
            period = self.opened_period
        except ProtectionPeriod.DoesNotExist:
            return None
        return period.target if period.number > 1 else None

    @property
    def concerns_target_id(self) -> int | None:
        """The person the receipt is about (for the audit trail only)."""
        if self.created_target_id is not None:
            return self.created_target_id
        return self.review_task.target_id if self.review_task is not None else None


class ProvisionalProtection(models.Model):
    """A number asked to be protected before the owner's four eyes decided it. Two sources:

    - another department's registration of a person who is already a target of some
      department (ADR 0024): while the owner's review task for it is open;
    - a pending amendment that adds cases (ADR 0030): while its change request is pending.

    Meanwhile the inquiry check answers "required" for it, as it would for a new
    registration: when in doubt, protect (a released person comes back, a ①-I abuser learnt
    later), and the registering side cannot tell a duplicate from a new person by checking
    afterwards. Flags at the intermediate server are not touched: they follow the owner's
    decision with four eyes."""

    registration = models.ForeignKey(Registration, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="provisional")
    review_task = models.ForeignKey(ReviewTask, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    change_request = models.ForeignKey("flags.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="+")
    atena_no = models.CharField(max_length=15)
    is_abuser = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["atena_no"])]
        constraints = [
            # Exactly one source, which decides how long the protection lasts.
            models.CheckConstraint(
                condition=models.Q(review_task__isnull=False, registration__isnull=False, change_request__isnull=True)
                | models.Q(review_task__isnull=True, registration__isnull=True, change_request__isnull=False),
                name="provisional_protection_one_source",
            ),
        ]

    def __str__(self) -> str:
        return f"ProvisionalProtection#{self.pk}"


class Amendment(models.Model):
    """What one amendment asks for and, once approved, the record before and after it
    (ADR 0032). `requested` is the parsed request (personal corrections, 住基DV等支援措置,
    the cases to add); `before`/`after` hold the changed values as they were at approval,
    and `added_cases` the cases it created. Shown to the owning department only."""

    change_request = models.OneToOneField("flags.ChangeRequest", on_delete=models.PROTECT, related_name="amendment")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="amendments")
    reason = models.TextField("変更の理由")
    requested = models.JSONField("申請の内容", encoder=DjangoJSONEncoder)
    before = models.JSONField("変更前", encoder=DjangoJSONEncoder, null=True, blank=True)
    after = models.JSONField("変更後", encoder=DjangoJSONEncoder, null=True, blank=True)
    added_cases = models.ManyToManyField(CaseAssessment, blank=True, related_name="+")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Amendment#{self.pk}"


class ReminderKind(models.TextChoices):
    JUMIN_SUPPORT_EXPIRY = "jumin_support_expiry", "住基DV等支援措置の終了が近い：延長の申出の確認"
    MAJORITY = "majority", "②-II 本人が18歳に到達：親権者による法定代理の終了（解除か他の類型で継続か）"
    PROCEDURE_FOLLOWUP = "procedure_followup", "②-I カード利用停止等の手続の完了確認（追跡）"
    APPROVAL_OVERDUE = "approval_overdue", "承認待ちの申請が滞留しています"
    REVIEW_TASK = "review_task", "未対応の確認事項（住基連携・他所属からの登録）"
    ONWARD_FOLLOWUP = "onward_followup", "転出先の市区町村への設定依頼：設定済みの連絡がありません（確認）"
    NOTICE_UNACKNOWLEDGED = "notice_unacknowledged", "他所属からのお知らせが未確認のままです（確認してください）"


class ReminderRecord(models.Model):
    """When the daily job first saw a reminder due, and when it alerted the approvers of it
    (ADR 0026). Never the list of reminders: that is computed from the live record each time
    (victims/reminders.py); this row only remembers one occurrence, so the job is idempotent."""

    kind = models.CharField(max_length=24, choices=ReminderKind.choices)
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(CaseAssessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    first_seen_at = models.DateTimeField()
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Two partial constraints, not one: NULLs are distinct in a unique index on both databases.
            models.UniqueConstraint(fields=["kind", "target", "case", "due_on"], condition=models.Q(case__isnull=False),
                                    name="reminder_once_per_case_occurrence"),
            models.UniqueConstraint(fields=["kind", "target", "due_on"], condition=models.Q(case__isnull=True),
                                    name="reminder_once_per_target_occurrence"),
        ]
        indexes = [models.Index(fields=["department", "due_on"])]

    def __str__(self) -> str:
        return f"ReminderRecord#{self.pk}({self.kind}, {self.due_on})"


class ProvisionDecisionKind(models.TextChoices):
    PROVIDE = "provide", "提供する（手動で提供）"
    WITHHOLD = "withhold", "提供しない"


class ProvisionDisclosure(models.TextChoices):
    # The only value: a manual provision's own disclosure setting overrides the 不開示該当フラグ
    # (DOMAIN §3), so the record of a provision by hand must carry 不開示 (ADR 0036).
    NONDISCLOSURE = "nondisclosure", "不開示"


class ProvisionDecisionStatus(models.TextChoices):
    PENDING = "pending", "承認待ち"
    APPROVED = "approved", "承認済み"
    REJECTED = "rejected", "却下"


INFO_CODE_PATTERN = r"^TM[0-9]{14}$"


class ProvisionDecision(models.Model):
    """The contact point's decision, by hand, on an inquiry about a person under 自動応答不可
    that arrived at the intermediate server (DOMAIN §5, §7 Point 5; ADR 0036): whether to
    provide, always with 不開示, approved by the contact point's head (four eyes, ADR 0037)."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="provision_decisions")
    # The contact point that recorded it (printed as 所属 on its 決裁票), kept if the mark moves.
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    inquirer = models.CharField("照会機関名", max_length=100)
    info_code = models.CharField("特定個人情報名コード", max_length=16)
    received_at = models.DateTimeField("照会の受付日時")
    decision = models.CharField("判断", max_length=10, choices=ProvisionDecisionKind.choices)
    disclosure = models.CharField("開示・不開示", max_length=15, choices=ProvisionDisclosure.choices)
    note = models.TextField("判断の理由・確認した事項", blank=True)
    status = models.CharField(max_length=10, choices=ProvisionDecisionStatus.choices,
                              default=ProvisionDecisionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField("却下の理由", blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(info_code__regex=INFO_CODE_PATTERN),
                                   name="provision_info_code_format"),
            models.CheckConstraint(condition=models.Q(disclosure=ProvisionDisclosure.NONDISCLOSURE),
                                   name="provision_always_nondisclosure"),
            models.CheckConstraint(
                condition=(models.Q(status=ProvisionDecisionStatus.PENDING, decided_by__isnull=True,
                                    decided_at__isnull=True)
                           | (~models.Q(status=ProvisionDecisionStatus.PENDING)
                              & models.Q(decided_by__isnull=False, decided_at__isnull=False))),
                name="provision_decided_iff_not_pending"),
            models.CheckConstraint(condition=~models.Q(decided_by=models.F("requested_by")),
                                   name="provision_four_eyes"),
            models.CheckConstraint(
                condition=~models.Q(status=ProvisionDecisionStatus.REJECTED) | ~models.Q(reject_reason=""),
                name="provision_rejection_has_reason"),
        ]
        indexes = [models.Index(fields=["target", "requested_at"]), models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:  # ids only: str() reaches logs
        return f"ProvisionDecision#{self.pk}({self.status})"
class OnwardRequest(models.Model):
    """転出 設定依頼 (ADR 0040): the owning department asks the municipality the person moved
    to to set its own measures, and records when that municipality confirmed it did. Issuing
    it changes nothing here: protection stays until a release is decided."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="onward_requests")
    municipality_name = models.CharField("転出先の市区町村", max_length=100)
    municipality_code = models.CharField("転出先の地方公共団体コード", max_length=6, blank=True)
    moved_on = models.DateField("転出日（予定日）")
    note = models.TextField("備考（依頼先に伝えること）", blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("依頼日時")
    confirmed_at = models.DateTimeField("設定済みの確認日時", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True, confirmed_by__isnull=True)
                | models.Q(confirmed_at__isnull=False, confirmed_by__isnull=False),
                name="onward_confirmed_by_and_at_together",
            ),
        ]

    def __str__(self) -> str:
        return f"OnwardRequest#{self.pk}"

    @property
    def file_stem(self) -> str:
        """The only name a saved letter gets: the id, never the person or the municipality."""
        return f"settei-irai-{self.pk}"


class GrantKind(models.TextChoices):
    GRANTED = "granted", "閲覧の許可"
    REVOKED = "revoked", "閲覧の許可の取消し"


class GrantRecord(models.Model):
    """One grant or revoke of another department's access (ADR 0025), decided at once by the
    owner's head: the row its 決裁票 prints (the object permission itself keeps no history).
    A transfer's keeping grant for the old owner is one too (ADR 0034)."""

    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="grant_records")
    department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=GrantKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_department = models.ForeignKey("accounts.Department", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    change_request = models.ForeignKey("flags.ChangeRequest", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:  # ids only
        return f"GrantRecord#{self.pk}({self.kind})"


# Owner and granted departments hold these on the target (guardian, on the department's group).
TARGET_PERMS = ("victims.view_target", "victims.change_target")


# guardian direct-FK tables: object permissions join on a real foreign key, not a
# generic (content_type, object_pk) text column.
class TargetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Target, on_delete=models.CASCADE)


class TargetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Target, on_delete=models.CASCADE)


class IntakeDraft(models.Model):
    """The intake form's input as the clerk had typed it when the session timed out on its
    submit (ADR 0049): offered back to the same clerk only, deleted on 破棄, on a successful
    registration and at kept_until. Never logged, never in an audit event's details. Stored
    sealed (ADR 0061): a database dump or backup does not show what was typed."""

    staff = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # {field name: [values]} as posted, as JSON, sealed by victims.intake_drafts (core.sealing).
    sealed = models.TextField()
    kept_at = models.DateTimeField()
    kept_until = models.DateTimeField()

    def __str__(self) -> str:  # no input in it: admin lists and error pages may show it
        return f"登録画面の保存された入力（職員 {self.staff_id}）"
