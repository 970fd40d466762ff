"""Entries are written unsealed and chained after commit (services.audit_seal): seq, prev_hash and hash
become nullable (the unique index on seq, which holds NULLs too, finds the unsealed ones), and on
PostgreSQL the append-only trigger function learns the one UPDATE it allows.

Trigger rules (same triggers as 0003, new function body):
- DELETE refused; TRUNCATE refused unless the session sets `yiwang.audit_allow_truncate = on` (tests).
- UPDATE of a sealed entry (OLD.seq IS NOT NULL) refused.
- UPDATE of an unsealed entry allowed only when it sets seq, prev_hash and hash (all three, not NULL)
  and leaves every other column as it was: the whole row minus those three is compared, so a column
  added later is covered without touching this function. Pending entries cannot be edited either.

Reversing needs every entry sealed first (`manage.py seal_audit`): the columns become NOT NULL again.
Deploy note: a process still running the old audit_record (chain lock inside the transaction) must not
write after this migration — it would take an unsealed entry for the chain head. Stop old writers first.
"""

from django.conf import settings
from django.db import migrations, models

FUNCTION = "audit_append_only"  # the function of the triggers installed by 0003
CHAIN_COLUMNS = "ARRAY['seq', 'prev_hash', 'hash']"

SEALING_BODY = f"""
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('yiwang.audit_allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF OLD.seq IS NULL THEN
            IF NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
               AND (to_jsonb(NEW) - {CHAIN_COLUMNS}) IS NOT DISTINCT FROM (to_jsonb(OLD) - {CHAIN_COLUMNS}) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'audit log is append-only: entry % is unsealed; only sealing it (seq, prev_hash, hash) is allowed', OLD.id
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
"""

APPEND_ONLY_BODY = """
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('yiwang.audit_allow_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
"""


def _function(body):
    def replace(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # No parameters: the % in RAISE are not placeholders.
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$", None)
    return replace


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_append_only_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditentry',
            options={'ordering': ['id'], 'verbose_name': '审计记录', 'verbose_name_plural': '审计记录'},
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True, verbose_name='序号'),
        ),
        migrations.RunPython(_function(SEALING_BODY), _function(APPEND_ONLY_BODY), elidable=False),
    ]
