import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChainBreak(models.TextChoices):
    """What audit_verify found wrong at the first broken entry."""

    HASH_MISMATCH = "hash_mismatch", _("哈希不符：该记录写入后被修改")
    SEQ_GAP = "seq_gap", _("序号不连续：此前的记录被删除")
    PREV_HASH_MISMATCH = "prev_hash_mismatch", _("前序哈希不符：此前的记录被删除、插入或改写")
    TAIL_TRUNCATED = "tail_truncated", _("日志短于锚点：末尾的记录被删除")
    ANCHOR_MISMATCH = "anchor_mismatch", _("与锚点哈希不符：锚点之前的记录被改写")


# Entries are sealed right after commit, or by the periodic job (every 10 s) when that was skipped;
# one still unsealed after this long means the sealing is not running (or fails on some entry).
PENDING_WARN_AFTER = dt.timedelta(minutes=5)
