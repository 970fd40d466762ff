"""PostgreSQL only: refuse UPDATE, DELETE and TRUNCATE on the audit table at the database level.

SQLite has no equivalent we can rely on; there `manage.py verify_audit` is the guard. The triggers stop
the application and careless hands, not the table owner (who can disable them): the hash chain and an
external anchor are what detect that.

TRUNCATE is let through only when the session sets `yiwang.audit_allow_truncate = on` — test databases
need it because TransactionTestCase flushes every table with TRUNCATE (set it in the test settings'
connection options: "-c yiwang.audit_allow_truncate=on").
"""

from django.db import migrations

FUNCTION = "audit_append_only"
ROW_TRIGGER = "audit_entry_append_only"
TRUNCATE_TRIGGER = "audit_entry_no_truncate"


def _table(apps):
    return apps.get_model("audit", "AuditEntry")._meta.db_table


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' AND current_setting('yiwang.audit_allow_truncate', true) = 'on' THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END
        $$
    """, None)  # no parameters: the % in RAISE are not placeholders
    schema_editor.execute(f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
                          f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
    schema_editor.execute(f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} "
                          f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(_table(apps))
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {table}")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_actor_do_nothing")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
