"""A target's two numbers (ADR 0046): its 団体内統合宛名番号 (atena_no) and, optionally, the
standard business systems' 宛名番号 (standard_atena_no), which those systems put where the
integrated number would go.

The rule: a number names at most one target. The standard number is unique among the
standard numbers (a database constraint) and never another target's atena_no, nor may a new
atena_no be another target's standard number — a rule across two columns, which the database
cannot state portably: the services check it here while holding `lock_numbers()`.
A target's standard number may equal its own atena_no (a municipality numbering both alike):
it names the same person. No audit and no policy here: the callers scope and audit."""
from django.db import connection
from django.db.models import Q

from core.errors import ValidationFailed

from .models import Target

# One key for every writer of a target's numbers (intake, amendment, 住基 push): a
# transaction-scoped lock, released at commit or rollback.
_NUMBERS_LOCK_KEY = 0x5A7E_0046

STANDARD_TAKEN = ("この宛名番号（標準準拠システム）は、他の設定対象者の宛名番号または団体内統合宛名番号として"
                  "登録されています。番号を確認してください。")

ATENA_TAKEN = ("この団体内統合宛名番号は、他の設定対象者の宛名番号（標準準拠システム）として登録されています。"
               "番号を確認してください。")


def lock_numbers() -> None:
    """Serialize writers of target numbers until the transaction ends. PostgreSQL: an
    advisory transaction lock. The embedded default's SQLite has one writer at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_NUMBERS_LOCK_KEY])


def number_q(number: str) -> Q:
    """The targets a number names: by either of their numbers."""
    return Q(atena_no=number) | Q(standard_atena_no=number)


def standard_number_taken(number: str | None, *, target_id: int | None = None) -> bool:
    """Is `number` another target's standard number or atena_no (than target_id's)?"""
    if number is None:
        return False
    others = Target.objects.filter(number_q(number))
    if target_id is not None:
        others = others.exclude(pk=target_id)
    return others.exists()


def require_standard_number_free(number: str | None, *, target_id: int | None = None,
                                 field: str = "standard_atena_no") -> None:
    if standard_number_taken(number, target_id=target_id):
        raise ValidationFailed({field: STANDARD_TAKEN})
