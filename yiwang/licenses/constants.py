"""Code lists of electronic licences (GB/T 36901-36906, STANDARDS.md "Electronic licences")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# 证照根代码: the OID arc of Chinese electronic licences (GB/T 36904).
LICENSE_ROOT = "1.2.156.3005.2"
SERIAL_DIGITS = 8
DEFAULT_ALGORITHM = "ed25519"


class LicenseStatus(models.TextChoices):
    """Stored states. 失效 (expired) is not stored: it follows from valid_until and today."""

    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("撤销")  # 撤销 or 吊销: the licence is withdrawn by the issuer
    CANCELLED = "cancelled", _("注销")


EXPIRED = "expired"
EXPIRED_LABEL = _("已过期")

# Legal transitions: a suspended licence may still be revoked or cancelled; revoked and cancelled
# are final.
TRANSITIONS = {
    LicenseStatus.VALID: {LicenseStatus.SUSPENDED, LicenseStatus.REVOKED, LicenseStatus.CANCELLED},
    LicenseStatus.SUSPENDED: {LicenseStatus.REVOKED, LicenseStatus.CANCELLED},
    LicenseStatus.REVOKED: set(),
    LicenseStatus.CANCELLED: set(),
}


class HolderCodeType(models.TextChoices):
    """持证主体代码类型. "111" is 公民身份号码 in the identity-document code list (GB/T 36903 / GA/T 517
    usage); for legal persons we use "001" for 统一社会信用代码 (assumption: the platform's own value,
    the standard leaves the code list of organisation identifiers open)."""

    ID_NUMBER = "111", _("公民身份号码")
    USCC = "001", _("统一社会信用代码")


HOLDER_NATURAL = "自然人"  # LicenseType.holder values
HOLDER_LEGAL = "法人"

# 证照类型代码: a stable numeric code per LicenseType.code. GB/T 36904 takes the type code from the
# licence catalogue; the catalogue's slug codes are not numeric, so the platform fixes a number per
# known type here (never reuse or renumber). Types not listed get the next free number from 9001 on
# first issue, stored in LicenseTypeCode, so they stay stable as well.
TYPE_CODES = {
    "resident_id_card": "1001",
    "household_register": "1002",
    "household_certificate": "1003",
    "residence_permit": "1004",
    "driving_license": "1005",
    "vehicle_license": "1006",
    "marriage_certificate": "2001",
    "divorce_certificate": "2002",
    "cremation_certificate": "2003",
    "birth_medical_certificate": "3001",
    "vaccination_certificate": "3002",
    "death_medical_certificate": "3003",
    "physician_qualification": "3004",
    "physician_license": "3005",
    "nurse_license": "3006",
    "medical_institution_license": "3007",
    "public_health_license": "3008",
    "business_license": "4001",
    "food_business_license": "4002",
    "drug_business_license": "4003",
    "social_security_card": "5001",
    "employment_card": "5002",
    "property_certificate": "6001",
    "property_registration_certificate": "6002",
    "disability_certificate": "7001",
    "diploma": "7101",
    "teacher_qualification": "7102",
    "road_transport_business_license": "7201",
    "road_transport_certificate": "7202",
    "driver_qualification": "7203",
    "construction_permit": "7301",
    "land_use_planning_permit": "7401",
    "construction_planning_permit": "7402",
    "pollutant_discharge_permit": "7501",
    "veteran_certificate": "7601",
    "veteran_preferential_card": "7602",
    "fire_safety_inspection_permit": "7701",
}
FIRST_FREE_TYPE_CODE = 9001


class VerifyReason(models.TextChoices):
    MALFORMED = "malformed", _("二维码内容格式错误")
    BAD_SIGNATURE = "bad_signature", _("签名校验失败，证照可能被篡改")
    UNKNOWN_KEY = "unknown_key", _("签名密钥未知")
    NOT_FOUND = "not_found", _("证照不存在")
    REVOKED = "revoked", _("证照已撤销")
    SUSPENDED = "suspended", _("证照已暂扣")
    CANCELLED = "cancelled", _("证照已注销")
    EXPIRED = "expired", _("证照已过有效期")


STAMPED_COPY_VALID_DAYS = 30
