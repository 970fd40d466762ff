"""Submitting applications into cases, several in one transaction.

`submit_many` takes the submits of many applications and writes them with the statements of one:
the drafts locked in one read, checked (fields, materials, held licences) with one read of the
materials and one of the licences, then numbered (one counter update per item), and their cases,
licence uses, workflow instances, tasks, events, audit entries and idempotency records each written
in one INSERT. A submit that fails its checks gets its own error and the others go on; should
anything fail once writing began (a licence revoked between check and use, a key committed by
another process), the batch rolls back and each submit runs again alone, so one cannot fail another.

`services.application_submit` sends a submit through a per-process Combiner (core/combining.py):
concurrent submits of a threaded web worker run as one batch, a lone submit as a batch of one. The
single-submit path is this code with one request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.audit.services import (
    AFTER_COMMIT_LIMIT,
    audit_batch,
    audit_record,
    audit_seal,
    audit_seal_deferred,
)
from yiwang.core.combining import Combiner
from yiwang.core.db import update_rows
from yiwang.licenses.services import LicenseUseRequest, license_uses_record

from . import integration, joint_form, selectors
from .constants import (
    PROVIDED_WITHOUT_UPLOAD,
    SERIAL_DIGITS,
    ApplicationStatus,
    Channel,
    MaterialStatus,
    ScanStatus,
)
from .models import Application, ApplicationMaterial, Case, CaseNumberCounter, IdempotencyRecord
from .naming import display_name, on_behalf_label


class Conflict(Exception):
    """The application is no longer in a state that allows this (→ 409)."""


@dataclass(frozen=True)
class SubmitResult:
    status: int
    body: dict
    replayed: bool = False


@dataclass(frozen=True)
class SubmitRequest:
    user: object
    application: Application
    key: str = ""
    endpoint: str = ""
    delivery: tuple[str, str] | None = None  # (delivery, address), already cleaned
    # The caller's language: another thread may run the batch, and its messages are the caller's.
    language: str = field(default_factory=translation.get_language)


# PostgreSQL's deadlock_detected and serialization_failure.
RETRY_ALONE_SQLSTATES = frozenset({"40P01", "40001"})


class _WriteRefused(Exception):
    """Something refused once writing began: roll the batch back; `errors` for a batch of one."""

    def __init__(self, index: int, errors: dict):
        super().__init__(errors)
        self.index, self.errors = index, errors


# --- numbering -------------------------------------------------------------------------------------------

def case_numbers_next(*, item_code: str, day: dt.date, count: int = 1) -> list[str]:
    """`count` consecutive numbers `<item code>-<YYYYMMDD>-<serial>`; the counter row stays locked
    until the transaction ends, so concurrent submissions get distinct, contiguous serials. Call
    inside a transaction."""
    last = _counter_add(item_code, day, count)
    if last is None:
        try:
            with transaction.atomic():
                last = CaseNumberCounter.objects.create(item_code=item_code, day=day, last_serial=count).last_serial
        except IntegrityError:  # another submission created it first; wait for its lock
            last = _counter_add(item_code, day, count)
    return [f"{item_code}-{day:%Y%m%d}-{serial:0{SERIAL_DIGITS}d}" for serial in range(last - count + 1, last + 1)]


def _counter_add(item_code: str, day: dt.date, count: int) -> int | None:
    # One statement (the UPDATE locks the row as SELECT ... FOR UPDATE did); None: no row yet.
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last_serial = last_serial + %s "  # noqa: S608 - placeholders only
                       "WHERE item_code = %s AND day = %s RETURNING last_serial",
                       [count, item_code, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return row[0] if row else None


# --- one batch -------------------------------------------------------------------------------------------

def submit_many(requests: list[SubmitRequest]) -> list[SubmitResult | Exception]:
    """One result per request, in order: its SubmitResult, or the exception to raise to its caller
    (ValidationError listing everything missing, Conflict, IntegrityError of a key committed
    concurrently). Each request runs again alone when a batch fails once writing began."""
    try:
        return _submit_batch(requests)
    except _WriteRefused as refused:
        if len(requests) == 1:
            return [ValidationError(refused.errors)]
    except IntegrityError as exc:
        if len(requests) == 1:
            return [exc]
    except OperationalError as exc:
        # A deadlock or serialisation failure of a batch would fail every caller in it: run them alone
        # (one of them may meet it again, as a lone submit always could).
        if len(requests) == 1 or getattr(exc.__cause__, "sqlstate", None) not in RETRY_ALONE_SQLSTATES:
            raise
    return [submit_many([request])[0] for request in requests]


def replayed(record: IdempotencyRecord, endpoint: str) -> SubmitResult | Conflict:
    """The first answer to this key, or a Conflict when the key was used for another request."""
    if record.endpoint != endpoint:
        return Conflict(_("该幂等键已用于其他请求。"))
    return SubmitResult(record.response_status, record.response_body, replayed=True)


def _channel(application: Application, user) -> str:
    """Who submits decides the channel: the applicant online, the clerk who started it at the window
    (permissions let no other clerk reach the draft), anyone else under a proxy grant."""
    if user.pk == application.applicant_id:
        return Channel.ONLINE
    if application.channel == Channel.WINDOW and user.pk == application.submitted_by_id:
        return Channel.WINDOW
    return Channel.PROXY


@transaction.atomic
def _submit_batch(requests: list[SubmitRequest]) -> list[SubmitResult | Exception]:
    results: list = [None] * len(requests)
    drafts = _lock_drafts(requests)
    records = _used_keys(requests)
    taken, first_with_key = {}, {}
    for i, request in enumerate(requests):
        with translation.override(request.language):
            _admit(i, request, drafts, records, taken, first_with_key, results)
    checked = _check(requests, drafts, taken, results)
    if checked:
        _write(requests, checked, results)
    for i, result in enumerate(results):
        if isinstance(result, int):  # the answer of the earlier request with this key
            earlier = results[result]
            with translation.override(requests[i].language):
                results[i] = (SubmitResult(earlier.status, earlier.body, replayed=True)
                              if isinstance(earlier, SubmitResult) and requests[result].endpoint == requests[i].endpoint
                              else Conflict(_("该幂等键已用于其他请求。")) if isinstance(earlier, SubmitResult)
                              else earlier)
    return results


def _admit(i, request, drafts, records, taken, first_with_key, results) -> None:
    """Replay, conflict, or a place in the batch (taken: application pk → request index)."""
    application = drafts.get(request.application.pk)
    if request.key:
        if (request.user.pk, request.key) in records:
            results[i] = replayed(records[(request.user.pk, request.key)], request.endpoint)
            return
        if (request.user.pk, request.key) in first_with_key:  # a repeat within this batch
            results[i] = first_with_key[(request.user.pk, request.key)]
            return
        first_with_key[(request.user.pk, request.key)] = i
    if application is None:
        results[i] = Application.DoesNotExist("application not found")
    elif application.status != ApplicationStatus.DRAFT or application.pk in taken:
        results[i] = Conflict(_("该申报已提交，不能重复提交。"))
    else:
        taken[application.pk] = i


def _lock_drafts(requests: list[SubmitRequest]) -> dict[int, Application]:
    """The applications, locked in id order (two batches cannot deadlock on them). Their people are
    the submitting users, or the callers' copies when they are the same rows; any other is read
    when first needed."""
    ids = sorted({r.application.pk for r in requests})
    drafts = {a.pk: a for a in Application.objects.select_for_update().defer("facts").filter(pk__in=ids).order_by("pk")}
    for request in requests:
        locked = drafts.get(request.application.pk)
        if locked is None:
            continue
        for name in ("applicant", "submitted_by"):
            pk = getattr(locked, f"{name}_id")
            if pk == request.user.pk:
                setattr(locked, name, request.user)
            elif (getattr(Application, name).is_cached(request.application)
                  and getattr(request.application, f"{name}_id") == pk):
                setattr(locked, name, getattr(request.application, name))
    return drafts


def _used_keys(requests: list[SubmitRequest]) -> dict[tuple[int, str], IdempotencyRecord]:
    # Read after the locks: a submit with the same key that committed while we waited is seen.
    pairs = {(r.user.pk, r.key) for r in requests if r.key}
    if not pairs:
        return {}
    rows = IdempotencyRecord.objects.filter(user_id__in={u for u, _k in pairs}, key__in={k for _u, k in pairs})
    return {(r.user_id, r.key): r for r in rows if (r.user_id, r.key) in pairs}


@dataclass
class _Checked:
    index: int
    application: Application
    materials: list[ApplicationMaterial]
    licenses: dict  # material pk → licence


def _check(requests, drafts, taken: dict[int, int], results: list) -> list[_Checked]:
    """Fields, materials and held licences of every draft still in the batch, with one read of the
    materials and one of the licences; a draft with errors gets its ValidationError and drops out."""
    if not taken:
        return []
    materials = {pk: [] for pk in taken}
    for m in ApplicationMaterial.objects.filter(application_id__in=list(taken)).order_by("application_id",
                                                                                         "position", "id"):
        materials[m.application_id].append(m)
    wanted = {}  # holder pk → (holder, licence types): the applicant's, and the proxy's own
    for pk in taken:
        application = drafts[pk]
        for m in materials[pk]:
            if m.status == MaterialStatus.HELD_BY_GOVERNMENT:
                holder = application.submitted_by if m.of_proxy else application.applicant
                wanted.setdefault(holder.pk, (holder, set()))[1].add(m.license_type_code)
    valid = selectors.valid_licenses_of_many(wanted) if wanted else {}
    checked = []
    for pk, i in taken.items():
        with translation.override(requests[i].language):
            errors, licenses = _errors(drafts[pk], materials[pk], valid)
        if errors:
            results[i] = ValidationError(errors)
        else:
            checked.append(_Checked(i, drafts[pk], materials[pk], licenses))
    return checked  # in request order: `taken` was filled in that order


def _errors(application, materials, valid) -> tuple[dict, dict]:
    """(field errors listing everything missing at once, held licences by material pk)."""
    errors = joint_form.missing_fields(application.form, application.values)
    missing, licenses = [], {}
    for m in materials:
        if m.status == MaterialStatus.HELD_BY_GOVERNMENT:
            holder_id = application.submitted_by_id if m.of_proxy else application.applicant_id
            license = valid.get(holder_id, {}).get(m.license_type_code)
            if license is not None and license.identifier == m.license_identifier:
                licenses[m.pk] = license
            else:
                missing.append(_("“%(name)s”所用的电子证照已失效，请上传该材料。") % {"name": m.name})
        elif (m.required and m.status not in PROVIDED_WITHOUT_UPLOAD
              and not (m.status == MaterialStatus.UPLOADED and m.scan_status == ScanStatus.CLEAN)):
            missing.append(_("请上传“%(name)s”。") % {"name": m.name})
    if missing:
        errors["materials"] = missing
    return errors, licenses


def _write(requests, checked: list[_Checked], results: list) -> None:
    now = timezone.now()
    day = timezone.localdate(now)
    # What every submit sets, in one UPDATE; what differs from the draft (a proxy who did not start
    # it, a chosen delivery) row by row, rarely.
    Application.objects.filter(pk__in=[c.application.pk for c in checked]).update(
        status=ApplicationStatus.SUBMITTED, submitted_at=now, updated_at=now)
    for c in checked:
        request, application = requests[c.index], c.application
        before = (application.submitted_by_id, application.channel, application.delivery,
                  application.delivery_address)
        if request.delivery:
            application.delivery, application.delivery_address = request.delivery
        application.channel, application.submitted_by = _channel(application, request.user), request.user
        if before != (request.user.pk, application.channel, application.delivery, application.delivery_address):
            Application.objects.filter(pk=application.pk).update(
                submitted_by=request.user, channel=application.channel, delivery=application.delivery,
                delivery_address=application.delivery_address)
    # Number in item-code order: two batches sharing items then lock the counters in the same order.
    wanted = {}
    for c in checked:
        for code in sorted(set(c.application.item_codes)):
            wanted[code] = wanted.get(code, 0) + 1
    numbers = {code: iter(case_numbers_next(item_code=code, day=day, count=wanted[code])) for code in sorted(wanted)}
    cases_of = []
    for c in checked:
        application, user = c.application, requests[c.index].user
        taken = {code: next(numbers[code]) for code in sorted(set(application.item_codes))}
        cases_of.append([Case(
            number=taken[row["code"]], application=application, item_code=row["code"], item_name=row["name"],
            item_version_id=row["version_id"], department_code=row["department"], submitted_at=now,
            applicant=application.applicant, submitted_by=user, delivery=application.delivery,
            delivery_address=application.delivery_address, channel=application.channel,
        ) for row in application.items])
    Case.objects.bulk_create([case for cases in cases_of for case in cases])
    with audit_batch():
        _use_licenses(requests, checked, cases_of)
        records = []
        for c, cases in zip(checked, cases_of, strict=True):
            request, application = requests[c.index], c.application
            body = {"cases": [{"number": k.number, "item": k.item_code, "item_name": k.item_name,
                               "status": k.status} for k in cases]}
            audit_record(action="application.submit", actor=request.user, target_type="cases.Application",
                         target_id=str(application.pk), on_behalf_of=on_behalf_label(application),
                         data={"cases": [k.number for k in cases], "applicant": display_name(application.applicant),
                               "submitted_by": display_name(request.user), "channel": application.channel})
            if request.key:
                records.append(IdempotencyRecord(user=request.user, key=request.key, endpoint=request.endpoint,
                                                 response_status=201, response_body=body))
            results[c.index] = SubmitResult(201, body)
        integration.cases_start_workflow([case for cases in cases_of for case in cases])
        IdempotencyRecord.objects.bulk_create(records)


def _use_licenses(requests, checked: list[_Checked], cases_of: list[list[Case]]) -> None:
    """One licence use per (held material, case of an item that asks for it), all in one batch; the
    material keeps its uses' ids. Someone other than the applicant (a proxy, a window clerk) uses the
    applicant's licences for them; the proxy's own licence is theirs."""
    uses, owners = [], []  # owners[k] = (checked index, material) of uses[k]
    for n, (c, cases) in enumerate(zip(checked, cases_of, strict=True)):
        user, application = requests[c.index].user, c.application
        principal = application.applicant if user.pk != application.applicant_id else None
        for material in (m for m in c.materials if m.pk in c.licenses):
            material.license_use_ids = []
            with translation.override(requests[c.index].language):
                purpose = _("申请材料：%(name)s") % {"name": material.name}
            for case in cases:
                if case.item_code in material.item_codes:
                    uses.append(LicenseUseRequest(
                        license=c.licenses[material.pk], item_code=case.item_code, item_name=case.item_name,
                        case_number=case.number, purpose=purpose, used_by=user,
                        on_behalf_of=None if material.of_proxy else principal))
                    owners.append((n, material))
    if not uses:
        return
    used = []
    for (n, material), result in zip(owners, license_uses_record(uses), strict=True):
        if isinstance(result, Exception):
            with translation.override(requests[checked[n].index].language):
                raise _WriteRefused(checked[n].index, {"materials": [
                    _("“%(name)s”所用的电子证照不能使用，请上传该材料。") % {"name": material.name}]})
        material.license_use_ids.append(result.pk)
        if not used or used[-1] is not material:
            used.append(material)
    update_rows(ApplicationMaterial, "license_use_ids", {m.pk: m.license_use_ids for m in used})


# --- combining -------------------------------------------------------------------------------------------

_combiner: Combiner | None = None


def combiner() -> Combiner:
    global _combiner
    if _combiner is None:
        _combiner = Combiner(_submit_combined, max_batch=settings.CASES_SUBMIT_BATCH_MAX, after_batch=_seal)
    return _combiner


def _submit_combined(requests: list[SubmitRequest]) -> list[SubmitResult | Exception]:
    # The batch's audit entries are sealed once the combiner is free again (_seal), not while the
    # next batch waits for it.
    with audit_seal_deferred():
        return submit_many(requests)


def _seal() -> None:
    audit_seal(limit=AFTER_COMMIT_LIMIT, wait=False)


def submit(request: SubmitRequest) -> SubmitResult:
    """Submit through this process's combiner; alone when inside a transaction (a caller's atomic
    block must commit only its own work) or when batching is off (CASES_SUBMIT_BATCH_MAX = 1)."""
    if connection.in_atomic_block or settings.CASES_SUBMIT_BATCH_MAX <= 1:
        result = submit_many([request])[0]
        if isinstance(result, Exception):
            raise result
        return result
    return combiner().call(request)
