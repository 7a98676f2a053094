import datetime

from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken, Department, Staff

# last_used_at is written at most this often per token: a write on every API call would double
# the cost of the single inquiry check for a figure nobody reads to the second.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def credential(request, keyword: str, malformed: str) -> str | None:
    """The secret of `Authorization: <keyword> <secret>`; None when the header names another
    scheme (so the next authentication class may try), 401 when it is malformed."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].decode(errors="ignore").lower() != keyword.lower():
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(malformed)
    return header[1].decode(errors="ignore")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>`; keys are looked up by hash and can be revoked."""

    keyword = "Token"

    def authenticate(self, request):
        raw = credential(request, self.keyword, "トークンの形式が正しくありません。")
        if raw is None:
            return None
        found = active_token_staff(ApiToken.hash_key(raw))
        if found is None:
            raise exceptions.AuthenticationFailed("トークンが無効です。")
        staff, token = found
        now = timezone.now()
        if now >= token.expires_at:
            raise exceptions.AuthenticationFailed(
                "トークンの有効期限が切れています。システム管理者に新しいトークンの発行を依頼してください。")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            _touch(token, now)
        return staff, token

    def authenticate_header(self, request):
        return self.keyword


def _columns(model, alias: str) -> list[str]:
    return [f'{alias}."{f.column}"' for f in model._meta.concrete_fields]


_STAFF_FIELDS = [f.attname for f in Staff._meta.concrete_fields]
_DEPT_FIELDS = [f.attname for f in Department._meta.concrete_fields]
# Every API call authenticates, so this is one hand-written statement instead of an ORM
# query compiled per request (about 0.5 ms of CPU each time, measured by bench-single-check).
# Revocation and deactivation still take effect on the next request: nothing is cached.
# Identifiers come from the models' own table and column names; the key hash is a parameter.
_TOKEN_SQL = (
    f"SELECT t.id, t.created_at, t.last_used_at, {', '.join(_columns(Staff, 's'))}, "  # noqa: S608
    f"{', '.join(_columns(Department, 'd'))} "
    f'FROM "{ApiToken._meta.db_table}" t JOIN "{Staff._meta.db_table}" s ON s.id = t.staff_id '
    f'LEFT JOIN "{Department._meta.db_table}" d ON d.id = s.department_id '
    "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND s.is_active"
)


_TOUCH_SQL = (
    f'UPDATE "{ApiToken._meta.db_table}" SET last_used_at = %s '  # noqa: S608
    "WHERE id = %s AND (last_used_at IS NULL OR last_used_at <= %s)"
)
_TOKEN_FIELDS = 3  # t.id, t.created_at, t.last_used_at
_TOKEN_COLUMNS = {f.name: f for f in ApiToken._meta.concrete_fields}


def _touch(token: ApiToken, now: datetime.datetime) -> None:
    # The condition repeats the check, so concurrent calls of one token write it once.
    adapt = connection.ops.adapt_datetimefield_value  # the embedded SQLite stores naive UTC text
    with connection.cursor() as cur:
        cur.execute(_TOUCH_SQL, [adapt(now), token.pk, adapt(now - LAST_USED_RESOLUTION)])
    token.last_used_at = now


def _datetime(field_name: str, value: object) -> datetime.datetime | None:
    """A token's datetime column as the ORM would return it (SQLite hands a raw cursor text)."""
    col = _TOKEN_COLUMNS[field_name].get_col(ApiToken._meta.db_table)
    for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
        value = convert(value, col, connection)
    return value  # type: ignore[return-value]  # a DateTimeField's converters yield a datetime or None


def active_token_staff(key_hash: str) -> tuple[Staff, ApiToken] | None:
    """The token (not revoked, of an active staff member) and its staff; expiry is the caller's
    check, so an expired token can be told apart from an unknown one."""
    with connection.cursor() as cur:
        cur.execute(_TOKEN_SQL, [key_hash])
        row = cur.fetchone()
    if row is None:
        return None
    token_values = row[:_TOKEN_FIELDS]
    staff_values = row[_TOKEN_FIELDS:_TOKEN_FIELDS + len(_STAFF_FIELDS)]
    dept_values = row[_TOKEN_FIELDS + len(_STAFF_FIELDS):]
    staff = Staff.from_db(connection.alias, _STAFF_FIELDS, staff_values)
    department = Department.from_db(connection.alias, _DEPT_FIELDS, dept_values) if dept_values[0] is not None else None
    staff._state.fields_cache["department"] = department
    token_id = token_values[0]
    created_at, last_used_at = _datetime("created_at", token_values[1]), _datetime("last_used_at", token_values[2])
    # from_db takes the values in the model's field order (id, staff, key_hash, created_at, ...).
    token = ApiToken.from_db(connection.alias, ["id", "staff_id", "key_hash", "created_at", "last_used_at"],
                             [token_id, staff.pk, key_hash, created_at, last_used_at])
    token._state.fields_cache["staff"] = staff
    return staff, token
