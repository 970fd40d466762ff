"""Writes about accounts: real-name registration, enterprise binding, staff roles, proxies, tokens
and the staff second factor. Every security-relevant change is audited."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from yiwang.audit.services import audit_record
from yiwang.core.crypto import blind_index
from yiwang.core.ids import validate_id_number, validate_uscc
from yiwang.core.masking import mask_id_number
from yiwang.registry import selectors as registry

from .constants import AccountKind, EntityRole, ProxyRelation, StaffRole
from .models import EntityMembership, ProxyAuthorisation, User

MAX_PROXY_YEARS = 5


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 digits, or ValidationError."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if (number is None or number.country_code != 86 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE):
        raise ValidationError(_("请输入有效的11位手机号码。"), code="phone")
    return str(number.national_number)


def _generated_username(prefix: str) -> str:
    # The ID number is never a user name: user names appear in logs and admin lists.
    while True:
        name = f"{prefix}{get_random_string(10, '0123456789')}"
        if not User.objects.filter(username=name).exists():
            return name


def _real_name_check(*, name: str, id_number: str, phone: str) -> dict:
    """Field errors of the real-name check (empty when it passes). One message for "not in the
    registry" and "name differs", so the form is no oracle for who is registered in the city."""
    errors: dict[str, list[str]] = {}
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as exc:
        errors["id_number"] = exc.messages
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请输入姓名。")]
    if errors:
        return errors
    person = registry.person_by_id_number(id_number)
    if person is None or person.name != name or not person.is_alive:
        errors["name"] = [_("姓名与公民身份号码不一致，未通过实名核验。")]
    elif person.phone and person.phone != phone:
        errors["phone"] = [_("手机号码与登记信息不一致，请使用本人实名登记的手机号码。")]
    elif User.objects.filter(id_number_hash=blind_index(id_number, purpose="id")).exists():
        errors["id_number"] = [_("该公民身份号码已注册账号，请直接登录或找回密码。")]
    return errors


@transaction.atomic
def citizen_register(*, name: str, id_number: str, phone: str, password: str, username: str = "",
                     uscc: str = "", request=None) -> User:
    """Create a real-name verified account, or raise ValidationError(dict) and create nothing.

    With `uscc` the account is an enterprise account of that entity, whose legal representative the
    registrant must be according to the entity registry."""
    errors = _real_name_check(name=name, id_number=id_number, phone=phone)
    entity = None
    if uscc:
        try:
            entity = registry.entity_by_uscc(validate_uscc(uscc))
        except ValidationError as exc:
            errors["uscc"] = exc.messages
        else:
            if entity is None or entity.status != "active":
                errors["uscc"] = [_("法人库中没有处于存续状态的该统一社会信用代码。")]
            elif not errors and (entity.legal_representative is None
                                 or entity.legal_representative.id_number_hash
                                 != blind_index(validate_id_number(id_number), purpose="id")):
                errors["uscc"] = [_("只有法定代表人本人可以注册法人账号；经办人请由法定代表人授权。")]
    if username and User.objects.filter(username=username).exists():
        errors["username"] = [_("该用户名已被使用。")]
    if not errors:
        candidate = User(username=username or "x", display_name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    id_number = validate_id_number(id_number)
    phone = normalize_phone(phone)
    kind = AccountKind.ENTERPRISE if entity else AccountKind.CITIZEN
    user = User(
        username=username or _generated_username("e" if entity else "c"), kind=kind, display_name=name.strip(),
        id_number=id_number, id_number_hash=blind_index(id_number, purpose="id"),
        phone=phone, phone_hash=blind_index(phone, purpose="phone"), real_name_verified_at=timezone.now(),
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent registration of the same number won the race
        raise ValidationError({"id_number": [_("该公民身份号码已注册账号，请直接登录或找回密码。")]}) from None
    if entity:
        EntityMembership.objects.create(user=user, entity_uscc=entity.uscc, entity_name=entity.name,
                                        role=EntityRole.LEGAL_REPRESENTATIVE)
    from yiwang.sharing.constants import AccessChannel
    from yiwang.sharing.services import access_record

    access_record(reader=user, elements=["person.name", "person.id_number", "person.phone"],
                  purpose=_("实名注册核验"), channel=AccessChannel.REGISTRY_LOOKUP, id_number=id_number, department="")
    audit_record(action="account.registered", actor=user, target_type="user", target_id=str(user.pk),
                 data={"kind": kind, "id_number": mask_id_number(id_number), "entity": entity.uscc if entity else ""})
    return user


@transaction.atomic
def entity_agent_authorise(*, actor: User, uscc: str, agent_id_number: str,
                           valid_until: dt.date | None = None) -> EntityMembership:
    """The legal representative lets another real-name account act for the entity (经办人)."""
    uscc = validate_uscc(uscc)
    if not EntityMembership.objects.filter(user=actor, entity_uscc=uscc, role=EntityRole.LEGAL_REPRESENTATIVE,
                                           revoked_at__isnull=True).exists():
        raise PermissionDenied
    agent_id_number = validate_id_number(agent_id_number)
    agent = User.objects.filter(id_number_hash=blind_index(agent_id_number, purpose="id")).first()
    if agent is None:
        raise ValidationError({"agent_id_number": [_("该公民身份号码尚未注册实名账号。")]})
    if valid_until and valid_until < timezone.localdate():
        raise ValidationError({"valid_until": [_("授权截止日期不能早于今天。")]})
    membership, _created = EntityMembership.objects.update_or_create(
        user=agent, entity_uscc=uscc,
        defaults={"entity_name": EntityMembership.objects.filter(entity_uscc=uscc).first().entity_name,
                  "role": EntityRole.AGENT, "authorised_by": actor, "valid_until": valid_until, "revoked_at": None},
    )
    audit_record(action="entity.agent_authorised", actor=actor, target_type="entity", target_id=uscc,
                 data={"agent": agent.username, "valid_until": valid_until.isoformat() if valid_until else ""})
    return membership


@transaction.atomic
def staff_roles_set(*, actor: User | None, user: User, roles: list[str]) -> None:
    """Replace a staff account's roles. Only department admins of the same department (or superusers)."""
    if user.kind != AccountKind.STAFF:
        raise ValidationError(_("只有工作人员账号可以分配角色。"))
    unknown = set(roles) - set(StaffRole.values)
    if unknown:
        raise ValidationError(_("未知角色：%(roles)s") % {"roles": "、".join(sorted(unknown))})
    if actor is not None and not actor.is_superuser:
        from .selectors import has_role

        if not (has_role(actor, StaffRole.DEPARTMENT_ADMIN) and actor.department_id == user.department_id):
            raise PermissionDenied
    role_groups = Group.objects.filter(name__in=StaffRole.values)
    user.groups.remove(*role_groups)
    user.groups.add(*Group.objects.filter(name__in=roles))
    audit_record(action="staff.roles_set", actor=actor, target_type="user", target_id=str(user.pk),
                 data={"roles": sorted(roles)})


@transaction.atomic
def proxy_grant(*, principal: User, proxy_id_number: str, relation: str, valid_until: dt.date,
                item_codes: list[str] | None = None, granted_by: User | None = None) -> ProxyAuthorisation:
    """代办授权: granted by the principal (or by a window clerk in their presence: `granted_by`)."""
    errors: dict[str, list[str]] = {}
    proxy = None
    try:
        number = validate_id_number(proxy_id_number)
    except ValidationError as exc:
        errors["proxy_id_number"] = exc.messages
    else:
        proxy = User.objects.filter(id_number_hash=blind_index(number, purpose="id"), is_active=True).first()
        if proxy is None:
            errors["proxy_id_number"] = [_("代办人需先注册实名账号。")]
        elif proxy.pk == principal.pk:
            errors["proxy_id_number"] = [_("不能授权给自己。")]
    if relation not in ProxyRelation.values:
        errors["relation"] = [_("请选择与代办人的关系。")]
    today = timezone.localdate()
    if valid_until < today:
        errors["valid_until"] = [_("授权截止日期不能早于今天。")]
    elif valid_until > today.replace(year=today.year + MAX_PROXY_YEARS):
        errors["valid_until"] = [_("授权期限最长%(years)d年。") % {"years": MAX_PROXY_YEARS}]
    codes = sorted({c.strip() for c in (item_codes or []) if c.strip()})
    if codes:
        from yiwang.catalog.selectors import existing_item_codes

        missing = sorted(set(codes) - existing_item_codes(codes))
        if missing:
            errors["item_codes"] = [_("事项编码不存在：%(codes)s") % {"codes": "、".join(missing)}]
    if not principal.real_name_verified_at:
        errors["non_field_errors"] = [_("委托人需先完成实名认证。")]
    if errors:
        raise ValidationError(errors)
    grant = ProxyAuthorisation.objects.create(principal=principal, proxy=proxy, relation=relation,
                                              item_codes=codes, valid_until=valid_until,
                                              created_by=granted_by or principal)
    audit_record(action="proxy.granted", actor=granted_by or principal, target_type="proxy", target_id=str(grant.pk),
                 on_behalf_of=principal.username,
                 data={"proxy": proxy.username, "items": codes, "valid_until": valid_until.isoformat()})
    return grant


@transaction.atomic
def proxy_revoke(*, actor: User, grant: ProxyAuthorisation) -> ProxyAuthorisation:
    """Either side may end a proxy; revoking twice is a conflict for the caller to report."""
    if actor.pk not in (grant.principal_id, grant.proxy_id):
        raise PermissionDenied
    grant = ProxyAuthorisation.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at:
        raise ValidationError(_("该授权已撤销。"), code="conflict")
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    audit_record(action="proxy.revoked", actor=actor, target_type="proxy", target_id=str(grant.pk),
                 on_behalf_of=grant.principal.username)
    return grant


def api_token_issue(*, user: User, request=None) -> tuple[AuthToken, str]:
    instance, token = AuthToken.objects.create(user=user)
    audit_record(action="auth.token_issued", actor=user, target_type="token", target_id=instance.token_key)
    return instance, token


def api_token_revoke(*, user: User, token: AuthToken) -> None:
    key = token.token_key
    token.delete()
    audit_record(action="auth.token_revoked", actor=user, target_type="token", target_id=key)


def requires_second_factor(user) -> bool:
    """TOTP is mandatory for every staff account and for anyone who can reach the admin."""
    return bool(user.is_authenticated and (user.kind == AccountKind.STAFF or user.is_staff or user.is_superuser))


def totp_device_for(user: User, *, create: bool = False) -> TOTPDevice | None:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device or not create:
        return device
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)


def totp_verify(*, user: User, token: str) -> TOTPDevice | None:
    """The device that accepts `token` (confirming a pending device on first use), else None."""
    token = (token or "").strip().replace(" ", "")
    if not token.isdigit():
        return None
    for device in TOTPDevice.objects.filter(user=user):
        if device.verify_token(token):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_record(action="auth.totp_enrolled", actor=user, target_type="user", target_id=str(user.pk))
            return device
    audit_record(action="auth.totp_failed", actor=user, target_type="user", target_id=str(user.pk))
    return None
