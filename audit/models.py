from django.db import models

from core.policy import Role

from .actions import AuditAction, bulk_lookup_actions

# Who acted when no staff member did, by the event's channel.
_NO_ACTOR = {"worker": "システム（自動処理）", "cli": "運用コマンド", "api": "連携システム", "web": "未ログイン"}


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "許可"
    DENIED = "denied", "拒否"


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every access and change.

    UPDATE/DELETE/TRUNCATE are refused by database triggers (migration 0002);
    `hash` covers the event's content and the previous event's hash, so a row
    altered, removed or reordered by someone who bypassed the triggers is found
    by `manage.py audit_verify`. `detail` holds ids only, never personal data.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True)
    department_code = models.CharField(max_length=20, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=60)
    target_id = models.BigIntegerField(null=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    channel = models.CharField(max_length=10, blank=True)  # web / api / cli / worker
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        # The auditors' searches filter by one of these and page by id, newest first (keyset,
        # ADR 0069): (column, id) serves both. No LIKE (varchar_pattern_ops) index: nothing
        # searches by prefix (an action prefix is the list of actions it names).
        indexes = [
            models.Index(fields=["actor_username", "id"], name="audit_event_actor_name_id"),
            models.Index(fields=["department_code", "id"], name="audit_event_department_id"),
            models.Index(fields=["action", "id"], name="audit_event_action_id"),
            models.Index(fields=["target_id", "id"], name="audit_event_target_id"),
            # The anomaly view reads a period's rare events (ADR 0089): failed logins (grouped by
            # name and source, and for password spraying those that tried a password), the
            # registrations (duplicates), the bulk look-ups the quota refused. Through (action,
            # id) and occurred_at a year intersected 2.8M time entries; these hold only the rows,
            # and the two of failed logins hold all that their queries read (no table access).
            models.Index(fields=["occurred_at"], include=["id", "actor_username", "ip"], name="audit_event_failed_at",
                         condition=models.Q(action=AuditAction.AUTH_LOGIN_FAILED.value)),
            models.Index(fields=["occurred_at", "id"], include=["ip", "actor_username"], name="audit_event_login_tries",
                         condition=models.Q(action=AuditAction.AUTH_LOGIN_FAILED.value)
                         & ~models.Q(detail__has_key="delayed")),
            models.Index(fields=["occurred_at"], name="audit_event_registered_at",
                         condition=models.Q(action=AuditAction.REGISTRATION_SUBMIT.value)),
            models.Index(fields=["occurred_at"], name="audit_event_bulk_refused_at",
                         condition=models.Q(outcome="denied", action__in=bulk_lookup_actions())),
        ]
        # No index on `hash` (ADR 0086): nothing looks an event up by its hash, and a duplicate
        # cannot link into the chain (verification finds it); it was 1.8 GB at seven years.

    def __str__(self) -> str:
        # Ids and states only: this string reaches logs and the admin, never personal data.
        return f"audit event #{self.pk} {self.action} ({self.outcome})"

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def role_label(self) -> str:
        return role_label(self.role, self.actor_username, self.channel)


def action_label(action: str) -> str:
    """The action in Japanese (audit.actions); an old code no longer in the vocabulary as it is."""
    try:
        return AuditAction(action).label
    except ValueError:
        return action


def role_label(role: str, actor_username: str, channel: str) -> str:
    """Never empty: the staff role, or who acted without one (a process, a system client, nobody signed in)."""
    if role in Role.values:
        return Role(role).label
    if actor_username:
        return "役割なし"
    return _NO_ACTOR.get(channel, "不明")


class AuditAnchor(models.Model):
    """Daily anchor: the head of the chain at a moment, kept append-only and printed for
    the auditor's paper file. A chain rewritten wholesale (every hash recomputed) no longer
    matches an anchor taken before the rewrite."""

    created_at = models.DateTimeField()
    head_event_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"anchor #{self.pk} at event #{self.head_event_id}"


class VerificationMode(models.TextChoices):
    FULL = "full", "全件"
    INCREMENTAL = "incremental", "差分（前回の検証以降）"


class VerificationRun(models.Model):
    """Result of a chain verification, shown to auditors (the log itself is never changed).

    A full run walks events 1..n; an incremental run (the daily one, ADR 0068) walks from the
    last verified point to the head, or as far as its time budget reached (complete=False: the
    next run continues from last_event_id)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    checked = models.BigIntegerField()  # events walked by this run
    anchors_checked = models.IntegerField(default=0)
    first_bad_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=200, blank=True)
    mode = models.CharField(max_length=12, choices=VerificationMode.choices, default=VerificationMode.FULL)
    first_event_id = models.BigIntegerField(null=True)
    # The last event verified good, and its hash: where the next incremental run starts. Null
    # on runs from before incremental runs (full runs: their `checked` is the same number).
    last_event_id = models.BigIntegerField(null=True)
    head_hash = models.CharField(max_length=64, blank=True)
    complete = models.BooleanField(default=True)  # reached the head of the chain
    workers = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"verification #{self.pk}: {'ok' if self.ok else 'failed'}"

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class ChainHead(models.Model):
    """The last event's id and hash, in one row. Appenders update this row first, so its row
    lock orders them and each new event links to the one committed just before it. Not a
    source of truth: verification reads the events, and a wrong head only makes the next
    append fail (duplicate id) or break the chain where verification sees it."""

    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)  # the hash before last_hash (RETURNING sees new values only)

    def __str__(self) -> str:
        return f"chain head at event #{self.last_id}"


class AuditEventTarget(models.Model):
    """One person a bulk event matched (a bulk inquiry check, an お知らせ recipient file):
    "who has seen this person" finds the event through the primary key (target_id, event_id),
    the same query on SQLite and PostgreSQL, however many people one event matched (ADR 0017).
    That key is the only index: a bulk check writes up to one row per target, and each more
    index costs its insert. Append-only like the events (migration 0007); the event's detail
    carries the count and a SHA-256 of the sorted ids, so the hash chain covers the set
    (audit.hits.hits_intact). No foreign key: it would change how TRUNCATE of the events is
    refused (by the append-only trigger), and neither table ever loses a row."""

    pk = models.CompositePrimaryKey("target_id", "event_id")
    target_id = models.BigIntegerField()
    event_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"event #{self.event_id} matched target #{self.target_id}"


class DayCountKind(models.TextChoices):
    TARGETS_READ = "targets_read", "閲覧した対象者の数"
    NUMBERS_LOOKED_UP = "numbers_looked_up", "照会した宛名番号の数"
    # The typed numbers plus every number of the day's bulk look-ups (ADR 0087): the wide
    # searchers' figure, so a year reads only the rows over the threshold. Days counted before
    # this kind existed have no such rows (their counted event names no "kinds").
    NUMBERS_WITH_BULK = "numbers_with_bulk", "照会した宛名番号の数（一括照会を含む）"


class AuditDayCount(models.Model):
    """How many distinct people one staff member read, or numbers they looked up, in one closed
    day (Japan time): the anomaly view's heavy readers and wide searchers over a year read these
    rows instead of a year of events (ADR 0070). Written once per day by the beat, with the
    day's AuditCountedDay; append-only (migration 0011); recomputed from the events by
    `audit_verify --counts`."""

    day = models.DateField()
    kind = models.CharField(max_length=20, choices=DayCountKind.choices)
    actor_username = models.CharField(max_length=150)
    department_code = models.CharField(max_length=20, blank=True)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "kind", "actor_username", "department_code"],
                                               name="audit_day_count_once")]
        indexes = [models.Index(fields=["kind", "n", "day"], name="audit_day_count_over")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind}: {self.n}"


class AuditCountedDay(models.Model):
    """A day whose counts are written: how many rows and their SHA-256, which the day's
    audit.day_counts event repeats inside the hash chain."""

    day = models.DateField(unique=True)
    rows = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    counted_at = models.DateTimeField()
    event_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"counted {self.day} ({self.rows} rows)"
