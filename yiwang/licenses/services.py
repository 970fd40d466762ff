"""Writes for electronic licences: signing keys, issue, status transitions, use (用证), and the
verification of QR tokens (a read, but the one other systems call as a service)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import audit_record
from yiwang.catalog.models import Department, LicenseType
from yiwang.core.crypto import decrypt, encrypt
from yiwang.core.ids import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number
from yiwang.identity.constants import AccountKind
from yiwang.identity.selectors import subject_index

from . import permissions
from .constants import (
    DEFAULT_ALGORITHM,
    FIRST_FREE_TYPE_CODE,
    HOLDER_LEGAL,
    STAMPED_COPY_VALID_DAYS,
    TRANSITIONS,
    TYPE_CODES,
    HolderCodeType,
    LicenseStatus,
    VerifyReason,
)
from .identifiers import identifier_build
from .models import License, LicenseTypeCode, LicenseUse, SigningKey
from .signing import b64url_decode, b64url_encode, get_signer
from .tokens import TokenPayload, canonical_bytes, content_digest, token_join, token_signed_bytes, token_split


class LicenseError(Exception):
    """A licence operation that cannot be done in the licence's current state (API: 409)."""


class IssuerNotConfigured(LicenseError):
    pass


class LicenseTransitionError(LicenseError):
    pass


class LicenseNotUsable(LicenseError):
    pass


# --- signing keys ---------------------------------------------------------------------------------

def _new_key_id(department: Department) -> str:
    return f"{department.code}-{timezone.now():%Y%m%d}-{secrets.token_hex(4)}"


@transaction.atomic
def license_key_rotate(*, department: Department, algorithm: str = "", actor=None) -> SigningKey:
    """A new active key for `department`; the previous ones stay (inactive) to verify what they signed."""
    algorithm = algorithm or getattr(settings, "LICENSE_SIGNING_ALGORITHM", DEFAULT_ALGORITHM)
    signer = get_signer(algorithm)
    Department.objects.select_for_update().get(pk=department.pk)  # one rotation at a time
    now = timezone.now()
    SigningKey.objects.filter(department=department, active=True).update(active=False, retired_at=now)
    private, public = signer.generate()
    key = SigningKey.objects.create(
        department=department, algorithm=algorithm, key_id=_new_key_id(department),
        public_key=b64url_encode(public), private_key_encrypted=encrypt(b64url_encode(private)),
        active=True, created_at=now)
    audit_record(action="license.key_rotate", actor=actor, target_type="licenses.SigningKey",
                 target_id=key.key_id, data={"algorithm": algorithm}, department=department.code)
    return key


def _active_key(department: Department) -> SigningKey:
    key = SigningKey.objects.filter(department=department, active=True).first()
    return key or license_key_rotate(department=department)


def _sign(key: SigningKey, data: bytes) -> bytes:
    private = b64url_decode(decrypt(key.private_key_encrypted))
    return get_signer(key.algorithm).sign(private, data)


def _verify(key: SigningKey, signature: bytes, data: bytes) -> bool:
    try:
        return get_signer(key.algorithm).verify(b64url_decode(key.public_key), signature, data)
    except (LookupError, ValueError):
        return False


def license_signature_valid(license: License) -> bool:
    try:
        signature = b64url_decode(license.signature)
    except ValueError:
        return False
    return _verify(license.signing_key, signature, canonical_bytes(license))


def license_token(license: License) -> str:
    """The QR token of a licence (deterministic for Ed25519: the same licence gives the same token)."""
    payload = TokenPayload(identifier=license.identifier, key_id=license.signing_key.key_id,
                           digest=content_digest(license))
    return token_join(payload, _sign(license.signing_key, token_signed_bytes(payload)))


# --- issuing --------------------------------------------------------------------------------------

def _type_code(license_type: LicenseType) -> LicenseTypeCode:
    """The type's code row, locked: it also holds the serial counter."""
    row = LicenseTypeCode.objects.select_for_update().filter(license_type=license_type).first()
    if row:
        return row
    code = TYPE_CODES.get(license_type.code)
    if code is None or LicenseTypeCode.objects.filter(code=code).exists():
        used = {int(c) for c in LicenseTypeCode.objects.values_list("code", flat=True)}
        code = str(next(n for n in range(FIRST_FREE_TYPE_CODE, 10000) if n not in used))
    LicenseTypeCode.objects.get_or_create(license_type=license_type, defaults={"code": code})
    return LicenseTypeCode.objects.select_for_update().get(license_type=license_type)


def _holder_code(license_type: LicenseType, holder_code: str) -> tuple[str, str]:
    """(normalised code, code type) for the type's holder kind; ValidationError on a bad code."""
    try:
        if license_type.holder == HOLDER_LEGAL:
            return validate_uscc(holder_code), HolderCodeType.USCC
        return validate_id_number(holder_code), HolderCodeType.ID_NUMBER
    except ValidationError as exc:
        raise ValidationError({"holder_code": exc.messages}) from None


def _clean_fields(license_type: LicenseType, fields: dict) -> dict:
    if not isinstance(fields, dict):
        raise ValidationError({"fields": [_("照面信息应为键值对。")]})
    unknown = sorted(set(fields) - set(license_type.fields))
    if unknown:
        raise ValidationError({"fields": [_("证照类型“%(type)s”没有这些照面项：%(keys)s") % {
            "type": license_type.name, "keys": "、".join(unknown)}]})
    return {str(k): "" if v is None else str(v) for k, v in fields.items()}


@transaction.atomic
def license_issue(*, license_type: LicenseType, holder_code: str, holder_name: str, fields: dict,
                  valid_from: dt.date, valid_until: dt.date | None, item_code: str = "", actor=None,
                  number: str = "", issued_on: dt.date | None = None) -> License:
    issuer = license_type.issuer
    if not issuer.credit_code:
        raise IssuerNotConfigured(_("颁发机构“%(name)s”未登记统一社会信用代码，无法签发证照。")
                                  % {"name": issuer.name})
    try:
        validate_uscc(issuer.credit_code)
    except ValidationError:
        raise IssuerNotConfigured(_("颁发机构“%(name)s”登记的统一社会信用代码无效，无法签发证照。")
                                  % {"name": issuer.name}) from None
    code, code_type = _holder_code(license_type, holder_code)
    if not (holder_name or "").strip():
        raise ValidationError({"holder_name": [_("请填写持证主体名称。")]})
    if valid_until is not None and valid_until < valid_from:
        raise ValidationError({"valid_until": [_("有效期截止日期不能早于起始日期。")]})
    fields = _clean_fields(license_type, fields)

    type_row = _type_code(license_type)
    type_row.last_serial += 1
    type_row.save(update_fields=["last_serial"])
    serial = type_row.last_serial
    identifier = identifier_build(type_code=type_row.code, issuer_code=issuer.credit_code, serial=serial)
    issued_on = issued_on or timezone.localdate()
    key = _active_key(issuer)
    license = License(
        identifier=identifier, license_type=license_type, type_code=type_row.code,
        number=number or f"{issuer.code}{type_row.code}{issued_on:%Y}{serial:08d}",
        name=license_type.name, version=1, issued_on=issued_on, issuer=issuer,
        issuer_code=issuer.credit_code, valid_from=valid_from, valid_until=valid_until,
        holder_name=holder_name.strip(), holder_code=code, holder_hash=subject_index(code),
        holder_code_type=code_type, item_code=item_code, signing_key=key,
    )
    license.fields = fields
    license.signature = b64url_encode(_sign(key, canonical_bytes(license)))
    license.save()
    audit_record(action="license.issue", actor=actor, target_type="licenses.License",
                 target_id=str(license.pk), department=issuer.code,
                 data={"identifier": identifier, "type": license_type.code, "holder": mask_id_number(code),
                       "item_code": item_code})
    return license


# --- status transitions ---------------------------------------------------------------------------

def _transition(license: License, *, to: LicenseStatus, actor, reason: str) -> License:
    if not permissions.can_manage(actor, license):
        raise PermissionDenied(_("只有颁发机构的工作人员可以变更证照状态。"))
    license = License.objects.select_for_update().get(pk=license.pk)
    if to not in TRANSITIONS[LicenseStatus(license.status)]:
        raise LicenseTransitionError(_("证照当前状态为“%(current)s”，不能变更为“%(target)s”。") % {
            "current": license.get_status_display(), "target": to.label})
    previous = license.status
    license.status, license.status_reason, license.status_changed_at = to, reason[:200], timezone.now()
    license.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(action=f"license.{to.value}", actor=actor, target_type="licenses.License",
                 target_id=str(license.pk), department=license.issuer.code,
                 data={"identifier": license.identifier, "from": previous, "to": to.value, "reason": reason})
    return license


@transaction.atomic
def license_suspend(*, license: License, actor, reason: str = "") -> License:
    return _transition(license, to=LicenseStatus.SUSPENDED, actor=actor, reason=reason)


@transaction.atomic
def license_revoke(*, license: License, actor, reason: str = "") -> License:
    return _transition(license, to=LicenseStatus.REVOKED, actor=actor, reason=reason)


@transaction.atomic
def license_cancel(*, license: License, actor, reason: str = "") -> License:
    return _transition(license, to=LicenseStatus.CANCELLED, actor=actor, reason=reason)


# --- verification ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    reason: str | None = None
    license: License | None = None

    @property
    def issuer_name(self) -> str:
        return self.license.issuer.name if self.license else ""

    @property
    def reason_label(self) -> str:
        return VerifyReason(self.reason).label if self.reason else ""


def license_verify_token(token: str) -> VerifyResult:
    """parse → key known → token signature → licence exists, content unchanged and its own signature
    valid → status → validity. The licence is only returned once the token is proven genuine."""
    try:
        payload, signature = token_split(token)
    except ValueError:
        return VerifyResult(False, VerifyReason.MALFORMED)
    key = SigningKey.objects.select_related("department").filter(key_id=payload.key_id).first()
    if key is None:
        return VerifyResult(False, VerifyReason.UNKNOWN_KEY)
    if not _verify(key, signature, token_signed_bytes(payload)):
        return VerifyResult(False, VerifyReason.BAD_SIGNATURE)
    license = (License.objects.select_related("license_type", "issuer", "signing_key")
               .filter(identifier=payload.identifier).first())
    if license is None:
        return VerifyResult(False, VerifyReason.NOT_FOUND)
    if (license.signing_key_id != key.pk or content_digest(license) != payload.digest
            or not license_signature_valid(license)):
        return VerifyResult(False, VerifyReason.BAD_SIGNATURE)
    status_reasons = {LicenseStatus.REVOKED: VerifyReason.REVOKED, LicenseStatus.SUSPENDED: VerifyReason.SUSPENDED,
                      LicenseStatus.CANCELLED: VerifyReason.CANCELLED}
    if license.status in status_reasons:
        return VerifyResult(False, status_reasons[LicenseStatus(license.status)], license)
    if license.is_expired():
        return VerifyResult(False, VerifyReason.EXPIRED, license)
    return VerifyResult(True, None, license)


# --- use (用证) -----------------------------------------------------------------------------------

def stamp_text(*, item_name: str, case_number: str, valid_until: dt.date) -> str:
    # The stamp is part of the document, so it stays in Chinese whatever the user's language.
    return f"仅供办理「{item_name}」（办件编号 {case_number}）使用，有效期至 {valid_until:%Y年%m月%d日}"


def _user_label(user) -> str:
    if user is None:
        return ""
    return getattr(user, "display_name", "") or user.get_username()


def _own_licence(user, license: License) -> bool:
    # The holder using their own licence, told by their ID number's blind index without reading
    # their entity memberships (permissions.can_use decides every other case).
    return bool(getattr(user, "is_authenticated", False) and user.kind != AccountKind.STAFF
                and user.id_number_hash and license.holder_hash == user.id_number_hash)


def license_use(*, license: License, item_code: str, item_name: str, case_number: str, purpose: str = "",
                used_by, on_behalf_of=None, valid_days: int = STAMPED_COPY_VALID_DAYS) -> LicenseUse:
    """Record one use of a licence in a case; its stamped copy (加注件) follows after commit."""
    result = license_uses_record([LicenseUseRequest(
        license=license, item_code=item_code, item_name=item_name, case_number=case_number, purpose=purpose,
        used_by=used_by, on_behalf_of=on_behalf_of, valid_days=valid_days)])[0]
    if isinstance(result, Exception):
        raise result
    return result


@dataclass(frozen=True)
class LicenseUseRequest:
    license: License
    item_code: str
    item_name: str
    case_number: str
    used_by: object
    purpose: str = ""
    on_behalf_of: object = None
    valid_days: int = STAMPED_COPY_VALID_DAYS


def _use_refused(request: LicenseUseRequest) -> Exception | None:
    if not ((request.on_behalf_of is None and _own_licence(request.used_by, request.license))
            or permissions.can_use(request.used_by, request.license, on_behalf_of=request.on_behalf_of,
                                   item_code=request.item_code)):
        return PermissionDenied(_("您无权使用该证照。"))
    if not (request.item_name.strip() and request.case_number.strip()):
        return ValidationError(_("用证须注明事项名称和办件编号。"))
    if request.valid_days < 1:
        return ValidationError({"valid_days": [_("加注件有效天数至少为1天。")]})
    return None


def license_uses_record(requests: list[LicenseUseRequest]) -> list[LicenseUse | Exception]:
    """Record uses of licences (a batch of submits records many in one INSERT), each use's stamped
    copy rendered after commit. One result per request, in order: the use, or the reason it was
    refused (PermissionDenied, ValidationError, LicenseNotUsable), for which nothing is written;
    the others are recorded all the same. Call inside a transaction: the licence rows stay locked
    (in id order, so two batches cannot deadlock) until it ends."""
    results: list[LicenseUse | Exception | None] = [_use_refused(r) for r in requests]
    pks = sorted({r.license.pk for r, result in zip(requests, results, strict=True) if result is None})
    if not pks:
        return results
    # No savepoint: nothing raises inside the block, so a caller's transaction can go on after a
    # refusal. Lock the licence rows only: locking the joined issuer, type and key rows made every
    # submit that uses a licence of the same department wait for (and deadlock with) every other
    # one. The face values are not needed here (not decrypted); the stamped copy reads the licence afresh.
    with transaction.atomic(savepoint=False):
        locked = {license.pk: license for license in License.objects.select_for_update()
                  .defer("holder_code", "fields_data").filter(pk__in=pks).order_by("pk")}
        now = timezone.now()
        today = timezone.localdate(now)
        written = []
        for i, request in enumerate(requests):
            if results[i] is not None:
                continue
            license = locked.get(request.license.pk)
            if license is None or license.status != LicenseStatus.VALID or license.is_expired():
                label = license.effective_status_label if license is not None else _("已删除")
                results[i] = LicenseNotUsable(_("证照状态为“%(status)s”，不能用于办事。") % {"status": label})
                continue
            valid_until = today + dt.timedelta(days=request.valid_days)
            if license.valid_until:
                valid_until = min(valid_until, license.valid_until)
            use = LicenseUse(
                license=license, item_code=request.item_code, item_name=request.item_name,
                case_number=request.case_number, purpose=request.purpose, used_by=request.used_by,
                used_by_label=_user_label(request.used_by), on_behalf_of=request.on_behalf_of,
                on_behalf_of_label=_user_label(request.on_behalf_of), used_at=now, valid_until=valid_until,
                stamp_text=stamp_text(item_name=request.item_name, case_number=request.case_number,
                                      valid_until=valid_until))
            results[i] = use
            written.append((use, license, request))
        if not written:
            return results
        LicenseUse.objects.bulk_create([use for use, _license, _request in written])
        for use, license, request in written:
            audit_record(action="license.use", actor=request.used_by, target_type="licenses.License",
                         target_id=str(license.pk),
                         on_behalf_of=request.on_behalf_of.get_username() if request.on_behalf_of else "",
                         data={"identifier": license.identifier, "use": use.pk, "item_code": request.item_code,
                               "case_number": request.case_number})
    # The stamped copies are rendered after commit, outside the applicant's submit transaction: one
    # job message for the batch.
    from .tasks import render_stamped_copies

    ids = [use.pk for use, _license, _request in written]
    transaction.on_commit(lambda: render_stamped_copies.delay(ids))
    return results


@transaction.atomic
def stamped_copy_render(*, use: LicenseUse) -> LicenseUse:
    """Render and keep the stamped copy (加注件) of a use, once: a PDF of the licence with the purpose
    stamped on it, and its SHA-256 in the audit trail. Safe to call again (job retry, download)."""
    from .documents import license_pdf

    use = LicenseUse.objects.select_for_update(of=("self",)).select_related("license").get(pk=use.pk)
    if use.stamped_copy:
        return use
    license = License.objects.select_related("license_type", "issuer", "signing_key").get(pk=use.license_id)
    pdf = license_pdf(license, token=license_token(license), stamp_text=use.stamp_text)
    use.stamped_sha256 = hashlib.sha256(pdf).hexdigest()
    use.stamped_copy.save(f"{license.pk}-{secrets.token_hex(8)}.pdf", ContentFile(pdf), save=False)
    use.save(update_fields=["stamped_copy", "stamped_sha256"])
    audit_record(action="license.stamped_copy", target_type="licenses.LicenseUse", target_id=str(use.pk),
                 data={"identifier": license.identifier, "case_number": use.case_number,
                       "sha256": use.stamped_sha256})
    return use
