from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from yiwang.core.models import TimeStampedModel

from .constants import DepartmentKind, VersionStatus


class CodeList(models.Model):
    """A versioned dictionary of codes (事项类型, 服务对象, ...), kept as data rather than enums."""

    name = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=100)
    standard = models.CharField(max_length=100, blank=True, default="GB/T 39046-2020")

    class Meta:
        verbose_name = _("代码表")
        verbose_name_plural = _("代码表")

    def __str__(self):
        return self.title


class Code(models.Model):
    code_list = models.ForeignKey(CodeList, on_delete=models.PROTECT, related_name="codes")
    value = models.CharField(max_length=20)
    label = models.CharField(max_length=60)
    label_en = models.CharField(max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code_list", "position", "value"]
        constraints = [
            models.UniqueConstraint(fields=["code_list", "value"], name="code_unique_value"),
            models.UniqueConstraint(fields=["code_list", "label"], name="code_unique_label"),
        ]
        verbose_name = _("代码")
        verbose_name_plural = _("代码")

    def __str__(self):
        return self.label


class Department(TimeStampedModel):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=10, choices=DepartmentKind.choices, default=DepartmentKind.LINE)
    credit_code = models.CharField(max_length=18, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self):
        return self.name


class LicenseType(TimeStampedModel):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    issuer = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="license_types")
    holder = models.CharField(max_length=10)  # 自然人 / 法人
    fields = models.JSONField(default=list)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")

    def __str__(self):
        return self.name


class ServiceItem(TimeStampedModel):
    """The stable identity of an item; its content lives in versions, exactly one of them published."""

    code = models.CharField(max_length=40, unique=True)
    current_version = models.OneToOneField(
        "ServiceItemVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Clicks from search over the last period; refreshed nightly and used in ranking.
    popularity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")

    def __str__(self):
        return f"{self.code} {self.current_version.name if self.current_version else ''}".strip()


class ServiceItemVersion(TimeStampedModel):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)

    name = models.CharField(_("事项名称"), max_length=200)
    kind = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="+", verbose_name=_("事项类型"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="item_versions",
                                   verbose_name=_("实施主体"))
    level = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="+", verbose_name=_("行使层级"))
    targets = models.ManyToManyField(Code, related_name="+", verbose_name=_("服务对象"))
    handling_forms = models.ManyToManyField(Code, related_name="+", blank=True, verbose_name=_("办理形式"))
    case_kind = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="+", verbose_name=_("办件类型"))
    scope = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="+", verbose_name=_("通办范围"))
    legal_basis = models.JSONField(_("设定依据"), default=list)
    conditions = models.JSONField(_("受理条件"), default=list)
    statutory_days = models.PositiveSmallIntegerField(_("法定办结时限"))
    promised_days = models.PositiveSmallIntegerField(_("承诺办结时限"))
    fee_charged = models.BooleanField(_("是否收费"), default=False)
    fee_standard = models.TextField(_("收费标准"), blank=True)
    fee_amount = models.DecimalField(_("收费金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    max_visits = models.PositiveSmallIntegerField(_("到现场次数"), default=0)
    visit_reason = models.TextField(_("到现场原因"), blank=True)
    online_depth = models.PositiveSmallIntegerField(_("网上办理深度"), default=1)
    parallel_departments = models.ManyToManyField(Department, related_name="+", blank=True,
                                                  verbose_name=_("并联部门"))
    tolerant_acceptance = models.BooleanField(_("容缺受理"), default=False)
    consult_phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    supervise_phone = models.CharField(_("监督电话"), max_length=30, blank=True)
    location = models.CharField(_("办理地点"), max_length=200, blank=True)
    keywords = models.JSONField(_("检索关键词"), default=list, blank=True)

    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    cancelled_on = models.DateField(_("取消日期"), null=True, blank=True)
    # Hash of the imported content: a re-import of unchanged data creates no version.
    content_digest = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["item", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="item_version_unique"),
            models.UniqueConstraint(fields=["item"], condition=Q(status="published"),
                                    name="item_one_published_version"),
            models.CheckConstraint(condition=Q(promised_days__lte=models.F("statutory_days")),
                                   name="item_promised_within_statutory"),
            models.CheckConstraint(condition=Q(online_depth__gte=1, online_depth__lte=4), name="item_depth_1_4"),
        ]
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")

    def __str__(self):
        return f"{self.item.code} v{self.version} {self.name}"

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def is_immediate(self) -> bool:
        return self.promised_days == 0


class Material(models.Model):
    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    required = models.BooleanField(default=True)
    form = models.CharField(max_length=20, blank=True)  # 原件 / 复印件 / 电子文件 ...
    copies = models.PositiveSmallIntegerField(default=1)
    source = models.CharField(max_length=20)  # 申请人自备 / 政府部门核发 / 中介机构出具
    license_type = models.ForeignKey(LicenseType, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="materials")
    note = models.TextField(blank=True)
    tolerant = models.BooleanField(default=False)  # may be missing at 容缺受理

    class Meta:
        ordering = ["version", "position"]

    def __str__(self):
        return self.name

    @property
    def held_by_government(self) -> bool:
        # An electronic licence can replace it, so the applicant need not bring paper.
        return self.license_type_id is not None


class FormField(models.Model):
    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="form_fields")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(max_length=60)
    label = models.CharField(max_length=100)
    type = models.CharField(max_length=20)
    required = models.BooleanField(default=False)
    prefill_source = models.CharField(max_length=120, blank=True)  # person.name / license:type.字段 ...
    validation = models.JSONField(default=dict, blank=True)  # {"pattern": ..., "max_length": ...}

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="form_field_unique_key")]

    def __str__(self):
        return f"{self.key} {self.label}"


class ProcessStep(models.Model):
    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="process_steps")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=100, blank=True)
    days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position"]

    def __str__(self):
        return self.name


class Output(models.Model):
    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="outputs")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    license_type = models.ForeignKey(LicenseType, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="outputs")

    class Meta:
        ordering = ["version", "position"]

    def __str__(self):
        return self.name


class LifeEvent(TimeStampedModel):
    """一件事: a bundle of items applied for once."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    targets = models.ManyToManyField(Code, related_name="+")
    trigger = models.CharField(max_length=60, blank=True)  # registry event for proactive service
    published = models.BooleanField(default=True)
    popularity = models.PositiveIntegerField(default=0)
    items = models.ManyToManyField(ServiceItem, through="LifeEventItem", related_name="life_events")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def __str__(self):
        return self.name


class LifeEventItem(models.Model):
    life_event = models.ForeignKey(LifeEvent, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["life_event", "position"]
        constraints = [models.UniqueConstraint(fields=["life_event", "item"], name="life_event_item_unique")]

    def __str__(self):
        return f"{self.life_event_id}:{self.position}"


class SearchDocument(models.Model):
    """One searchable thing (a published item or a life event) with its segmented text.

    `tokens` feeds the database full-text index (FTS5 on SQLite, tsvector on PostgreSQL) that finds
    candidates; `weights` (token → field weight) feeds the scorer, which ranks them the same way on
    every database.
    """

    class Kind(models.TextChoices):
        ITEM = "item", _("事项")
        LIFE_EVENT = "life_event", _("一件事")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    ref_code = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    title_pinyin = models.CharField(max_length=600, blank=True)
    title_initials = models.CharField(max_length=200, blank=True)
    department_code = models.CharField(max_length=20, blank=True)
    item_kind = models.CharField(max_length=20, blank=True)
    targets = models.CharField(max_length=60, blank=True)  # code labels joined by "|"
    scope = models.CharField(max_length=20, blank=True)
    tokens = models.TextField()
    weights = models.JSONField(default=dict)
    # What a result list shows, stored with the document so a search page costs one more query.
    summary = models.JSONField(default=dict)
    popularity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref_code"], name="search_document_unique")]
        indexes = [models.Index(fields=["title_initials"]), models.Index(fields=["title_pinyin"])]

    def __str__(self):
        return f"{self.kind}:{self.ref_code}"


class SearchPosting(models.Model):
    """The inverted index: one row per (term, document) with the term's field weight. Candidates are
    found and weighed from these narrow rows alone, the same SQL on SQLite and PostgreSQL, so the
    database never reads or sends a document's whole text or weight map."""

    term = models.CharField(max_length=100)
    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="postings", db_index=False)
    weight = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "term"], name="search_posting_unique")]
        # A covering index on PostgreSQL (weight in the leaf); other databases ignore `include`.
        indexes = [models.Index(fields=["term", "document"], include=["weight"], name="search_posting_term_doc")]

    def __str__(self):
        return f"{self.term}@{self.document_id}"


class SearchSynonym(TimeStampedModel):
    """The colloquial lexicon editors keep: what people type → words the catalogue uses."""

    term = models.CharField(_("群众用语"), max_length=40, unique=True)
    expansions = models.JSONField(_("规范用语"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["term"]
        verbose_name = _("检索同义词")
        verbose_name_plural = _("检索同义词")

    def __str__(self):
        return self.term


class SearchLog(models.Model):
    query = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)
    result_count = models.PositiveIntegerField()
    clicked_kind = models.CharField(max_length=12, blank=True)
    clicked_code = models.CharField(max_length=60, blank=True)
    clicked_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, default="web")  # web / api / suggest
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("检索日志")
        verbose_name_plural = _("检索日志")

    def __str__(self):
        return self.query


class SearchDemandReport(models.Model):
    """Weekly unmet demand: queries with no result or no click, for catalogue editors."""

    week_start = models.DateField(unique=True)
    generated_at = models.DateTimeField(auto_now=True)
    total_searches = models.PositiveIntegerField(default=0)
    zero_result_searches = models.PositiveIntegerField(default=0)
    no_click_searches = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list)  # [{"query", "searches", "zero_results", "no_click"}]

    class Meta:
        ordering = ["-week_start"]
        verbose_name = _("未满足需求周报")
        verbose_name_plural = _("未满足需求周报")

    def __str__(self):
        return str(self.week_start)


class SearchTerm(models.Model):
    """The search vocabulary: document frequency for ranking, pinyin and initials for fuzzy input."""

    term = models.CharField(max_length=60, unique=True)
    df = models.PositiveIntegerField(default=0)
    pinyin = models.CharField(max_length=240, db_index=True)
    initials = models.CharField(max_length=60, db_index=True)

    def __str__(self):
        return self.term


class SearchIndexState(models.Model):
    """A single row whose version changes whenever the index or the lexicon does.

    Every process caches the vocabulary and lexicon and reloads them when this number moves.
    """

    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"search index v{self.version}"
