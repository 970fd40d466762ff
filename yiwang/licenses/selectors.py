"""Reads: a user's licences (wallet), their uses, and the shapes shown to holders and verifiers."""

from __future__ import annotations

from django.http import Http404

from yiwang.core.masking import mask_id_number, mask_name, mask_text
from yiwang.identity.selectors import own_subject_hashes, ward_subject_hashes

from .constants import HolderCodeType
from .models import License, LicenseUse


def licenses_of(user):
    hashes = own_subject_hashes(user)
    return (License.objects.filter(holder_hash__in=hashes)
            .select_related("license_type", "issuer", "signing_key")
            .order_by("license_type__code", "-issued_on", "identifier"))


def wallet_licenses(user):
    """The wallet (卡包): the user's own licences and those of their wards (minor children), so a
    parent finds the newborn's birth certificate where they look for theirs."""
    hashes = own_subject_hashes(user) | ward_subject_hashes(user)
    return (License.objects.filter(holder_hash__in=hashes)
            .select_related("license_type", "issuer", "signing_key")
            .order_by("license_type__code", "-issued_on", "identifier"))


def own_license(user, identifier: str) -> License:
    """A licence of the user's wallet with this identifier; Http404 if it is missing or someone else's."""
    license = wallet_licenses(user).filter(identifier=identifier).first()
    if license is None:
        raise Http404("no such licence")
    return license


def license_uses(license: License):
    return LicenseUse.objects.filter(license=license).select_related("license").order_by("-used_at", "-id")


def own_license_use(user, identifier: str, use_id: int) -> LicenseUse:
    use = license_uses(own_license(user, identifier)).filter(pk=use_id).first()
    if use is None:
        raise Http404("no such use")
    return use


def face_fields(license: License) -> dict:
    """The 照面 values in the order of the licence type's field list (stored JSON is key-sorted)."""
    order = {key: index for index, key in enumerate(license.license_type.fields)}
    return dict(sorted(license.fields.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def masked_fields(license: License) -> dict:
    """The 照面 values with ID-number- and phone-shaped runs masked (for pages and the API)."""
    return {k: mask_text(v) if isinstance(v, str) else v for k, v in face_fields(license).items()}


def masked_holder(license: License) -> dict:
    """Natural persons: masked name and ID number. Legal persons: name and 统一社会信用代码 are
    public (企业信用信息公示), so they are shown in full."""
    if license.holder_code_type == HolderCodeType.ID_NUMBER:
        return {"name": mask_name(license.holder_name), "code": mask_id_number(license.holder_code),
                "code_type": license.holder_code_type}
    return {"name": license.holder_name, "code": license.holder_code, "code_type": license.holder_code_type}


def license_public_summary(license: License) -> dict:
    """What a verifier sees after scanning a genuine QR code."""
    return {
        "identifier": license.identifier,
        "type": {"code": license.license_type.code, "name": license.license_type.name},
        "name": license.name,
        "issuer": {"code": license.issuer.code, "name": license.issuer.name},
        "holder": masked_holder(license),
        "valid_from": license.valid_from,
        "valid_until": license.valid_until,
        "status": license.effective_status,
    }
