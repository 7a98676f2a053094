"""Grant the application's database role what the product needs, and no more (ADR 0018).

Run by the owner role (the one that runs `migrate` and owns every table) after each migrate:
the application connects as a separate role that owns nothing, is no superuser and may only
read and append to the audit tables, so it can neither disable their triggers (that needs
ownership), nor set session_replication_role (superuser only), nor delete or change a row.
No default privileges are set on purpose: a table a later migration adds gets nothing until
this command runs again, so a new audit table can never be born deletable."""
import re

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.models import ChainHead

# Per audit table, what the application does to it. Everything is appended, except the one-row
# chain head, which each append moves on (audit/services.py).
_AUDIT_DEFAULT = "SELECT, INSERT"
_AUDIT_EXCEPTIONS = {ChainHead._meta.db_table: "SELECT, INSERT, UPDATE"}
_OTHER_TABLES = "SELECT, INSERT, UPDATE, DELETE"
_READ_ONLY = {"django_migrations": "SELECT"}  # migrations run as the owner, never as the application
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_FORBIDDEN_ATTRIBUTES = ("rolsuper", "rolreplication", "rolbypassrls", "rolcreaterole", "rolcreatedb")


def grants_for(role: str, tables: list[str]) -> list[str]:
    """The statements that leave `role` with exactly the privileges above on `tables`."""
    q = connection.ops.quote_name
    audit_tables = {m._meta.db_table for m in apps.get_app_config("audit").get_models()}
    statements = [
        f"GRANT CONNECT ON DATABASE {q(connection.settings_dict['NAME'])} TO {q(role)}",
        f"GRANT USAGE ON SCHEMA public TO {q(role)}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {q(role)}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {q(role)}",
    ]
    for table in sorted(tables):
        if table in audit_tables:
            privileges = _AUDIT_EXCEPTIONS.get(table, _AUDIT_DEFAULT)
        else:
            privileges = _READ_ONLY.get(table, _OTHER_TABLES)
        statements.append(f"GRANT {privileges} ON TABLE {q(table)} TO {q(role)}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q(role)}")
    return statements


class Command(BaseCommand):
    help = ("アプリケーション用のデータベースロールに必要最小限の権限を付与する（所有者ロールで migrate の後に実行）。"
            "監査ログのテーブルは参照と追記のみ。ロールはスーパーユーザー・レプリケーション権限を持たず、テーブルを所有しないこと")

    def add_arguments(self, parser):
        parser.add_argument("role", help="アプリケーションが接続に使うロール名（事前に CREATE ROLE しておく）")
        parser.add_argument("--sql", action="store_true", help="実行せず、実行する SQL を表示する")

    def handle(self, *args, role: str, sql: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("PostgreSQL 専用です（組込みの SQLite にはロールがありません）。")
        if not _ROLE_NAME.match(role):
            raise CommandError("ロール名は英小文字・数字・_ のみで指定してください。")
        tables = [t for t in connection.introspection.table_names() if not t.startswith("pg_")]
        statements = grants_for(role, tables)
        if sql:
            self.stdout.write(";\n".join(statements) + ";")
            return
        _refuse_a_powerful_role(role, tables)
        with transaction.atomic(), connection.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
        self.stdout.write(f"OK: {role} に {len(tables)} テーブルの権限を付与しました（監査ログは参照・追記のみ）")


def _refuse_a_powerful_role(role: str, tables: list[str]) -> None:
    """A role that could undo the audit log's protection by itself is refused, not granted to."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(_FORBIDDEN_ATTRIBUTES)} FROM pg_roles WHERE rolname = %s",  # noqa: S608
                    [role])
        row = cur.fetchone()
        if row is None:
            raise CommandError(f"ロール {role} がありません。docs/operations/db_roles.md の手順で作成してください。")
        powers = [name for name, value in zip(_FORBIDDEN_ATTRIBUTES, row, strict=True) if value]
        if powers:
            raise CommandError(f"ロール {role} に強すぎる属性があります: {', '.join(powers)}"
                               "（NO… で作り直してください）")
        # Owning a table, or being a member of its owner, allows ALTER TABLE … DISABLE TRIGGER.
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s) "
                    "AND pg_has_role(%s, tableowner, 'USAGE')", [tables, role])
        owned = [name for (name,) in cur.fetchall()]
        if owned:
            raise CommandError(f"ロール {role} がテーブルの所有者（またはその一員）です: "
                               f"{', '.join(sorted(owned)[:5])}")
