"""Re-encrypt every EncryptedTextField column of every model under the first FIELD_ENCRYPTION_KEYS key.

Run after putting a new key first in FIELD_ENCRYPTION_KEYS (old keys still after it); once it has
finished, the old keys can be removed. Reads and writes the raw ciphertext with SQL: through the ORM
from_db_value would decrypt and get_prep_value encrypt again. A value changed by the application
meanwhile is left alone (it was written under the new key anyway). Safe to run twice."""

import sys
from argparse import BooleanOptionalAction

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, router, transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from yiwang.core.crypto import EncryptedTextField, rotate


def encrypted_columns():
    """(model, [fields]) for every concrete model with EncryptedTextField columns, historical ones included."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or meta.swapped or not meta.managed:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            yield model, fields


class Command(BaseCommand):
    help = _("用 FIELD_ENCRYPTION_KEYS 中的第一个密钥重新加密所有加密字段（密钥轮换）。")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--progress", action=BooleanOptionalAction, default=None,
                            help=_("显示进度条（默认：标准错误输出是终端时显示）"))

    def handle(self, *args, batch_size, progress, **options):
        if progress is None:
            progress = sys.stderr.isatty()
        targets = list(encrypted_columns())
        total = sum(model._base_manager.count() for model, _fields in targets)
        rotated = 0
        with tqdm(total=total, disable=not progress, file=sys.stderr, unit=_("行"), desc=_("重新加密")) as bar:
            for model, fields in targets:
                rotated += self._rotate_model(model, fields, batch_size, bar)
        self._record(targets, rotated)
        self.stdout.write(self.style.SUCCESS(
            _("已用当前首个密钥重新加密 %(values)d 个值（%(models)d 个模型）。")
            % {"values": rotated, "models": len(targets)}
        ))

    def _rotate_model(self, model, fields, batch_size, bar) -> int:
        alias = router.db_for_write(model)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
        columns = [quote(f.column) for f in fields]
        # Identifiers come from model metadata, quoted; values are parameters.
        select = f"SELECT {pk}, {', '.join(columns)} FROM {table}"  # noqa: S608
        updates = [f"UPDATE {table} SET {c} = %s WHERE {pk} = %s AND {c} = %s" for c in columns]  # noqa: S608
        rotated, last = 0, None
        while True:
            with transaction.atomic(using=alias), connection.cursor() as cursor:
                if last is None:
                    cursor.execute(f"{select} ORDER BY {pk} LIMIT %s", [batch_size])
                else:
                    cursor.execute(f"{select} WHERE {pk} > %s ORDER BY {pk} LIMIT %s", [last, batch_size])
                rows = cursor.fetchall()
                if not rows:
                    return rotated
                for index, (field, update) in enumerate(zip(fields, updates, strict=True), start=1):
                    params = []
                    for row in rows:
                        token = row[index]
                        if not token:
                            continue
                        try:
                            params.append((rotate(token), row[0], token))
                        except InvalidToken:
                            raise CommandError(
                                _("%(model)s.%(field)s（主键 %(pk)s）无法解密：FIELD_ENCRYPTION_KEYS 是否缺少旧密钥？")
                                % {"model": model._meta.label, "field": field.name, "pk": row[0]}
                            ) from None
                    if params:
                        cursor.executemany(update, params)
                        rotated += len(params)
            last = rows[-1][0]
            bar.update(len(rows))

    def _record(self, targets, rotated):
        from yiwang.audit.services import audit_record

        audit_record(action="crypto.keys_rotated", target_type="field_encryption", data={
            "values": rotated,
            "columns": [f"{model._meta.label}.{f.name}" for model, fields in targets for f in fields],
        })
