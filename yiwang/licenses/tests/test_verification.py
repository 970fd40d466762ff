"""Signatures, QR tokens and their verification (reasons), key rotation."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.catalog.models import Department
from yiwang.licenses import services
from yiwang.licenses.constants import LicenseStatus, VerifyReason
from yiwang.licenses.models import License, SigningKey
from yiwang.licenses.signing import (
    UnknownAlgorithm,
    b64url_decode,
    b64url_encode,
    get_signer,
    register_signer,
    signer_names,
)
from yiwang.licenses.tokens import TokenPayload, canonical_bytes, token_join, token_signed_bytes, token_split

from .conftest import issue_id_card

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def verify(token):
    return services.license_verify_token(token)


def test_issued_licence_is_signed_and_verifies(id_card):
    assert id_card.signing_key.active and id_card.signing_key.department.code == "GAJ"
    assert services.license_signature_valid(id_card)
    result = verify(services.license_token(id_card))
    assert result.valid and result.reason is None
    assert result.license == id_card and result.issuer_name == "市公安局"


def test_token_is_compact_and_url_safe(id_card):
    token = services.license_token(id_card)
    assert len(token) < 300
    assert set(token) <= set(B64 + ".")
    payload, _signature = token_split(token)
    assert payload.identifier == id_card.identifier and payload.key_id == id_card.signing_key.key_id


def test_signature_covers_content_but_not_status(id_card, gaj_staff):
    before = canonical_bytes(id_card)
    services.license_suspend(license=id_card, actor=gaj_staff)
    id_card.refresh_from_db()
    assert canonical_bytes(id_card) == before and services.license_signature_valid(id_card)
    for change in ({"holder_name": "李四"}, {"valid_until": dt.date(2099, 1, 1)}, {"version": 2},
                   {"fields": {"姓名": "李四"}}):
        altered = License.objects.get(pk=id_card.pk)
        for attr, value in change.items():
            setattr(altered, attr, value)
        assert canonical_bytes(altered) != before, change
        assert not services.license_signature_valid(altered), change


def test_every_single_character_change_of_the_token_is_invalid(id_card):
    token = services.license_token(id_card)
    assert verify(token).valid
    for index, char in enumerate(token):
        for replacement in {B64[(B64.find(char) + 1) % 64], "."} - {char}:
            changed = token[:index] + replacement + token[index + 1:]
            result = verify(changed)
            assert not result.valid, (index, replacement)
            assert result.reason in {VerifyReason.MALFORMED, VerifyReason.BAD_SIGNATURE, VerifyReason.UNKNOWN_KEY,
                                     VerifyReason.NOT_FOUND}


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "....", "%%%.%%%", "AAAA.AAAA", "é.é"])
def test_malformed_tokens(token):
    result = verify(token)
    assert (result.valid, result.reason, result.license) == (False, VerifyReason.MALFORMED, None)


def test_base64_decoding_is_strict():
    assert b64url_decode(b64url_encode(b"\x00\xff")) == b"\x00\xff"
    encoded = b64url_encode(b"\x00\xff")  # "AP8": the last character carries two unused bits
    with pytest.raises(ValueError):
        b64url_decode(encoded[:-1] + "9")  # same bytes under a lax decoder
    for bad in ("", "AP8=", "A P8", "AP+/"):
        with pytest.raises(ValueError):
            b64url_decode(bad)


def test_forged_signature_with_real_key_id(id_card):
    payload, _signature = token_split(services.license_token(id_card))
    signer = get_signer("ed25519")
    private, _public = signer.generate()
    forged = token_join(payload, signer.sign(private, token_signed_bytes(payload)))
    result = verify(forged)
    assert (result.valid, result.reason, result.license) == (False, VerifyReason.BAD_SIGNATURE, None)


def test_unknown_key(id_card):
    payload, _signature = token_split(services.license_token(id_card))
    signer = get_signer("ed25519")
    private, _public = signer.generate()
    other = TokenPayload(identifier=payload.identifier, key_id="GAJ-20990101-deadbeef", digest=payload.digest)
    result = verify(token_join(other, signer.sign(private, token_signed_bytes(other))))
    assert (result.valid, result.reason, result.license) == (False, VerifyReason.UNKNOWN_KEY, None)


def test_genuine_key_but_no_such_licence(id_card):
    payload, _signature = token_split(services.license_token(id_card))
    ghost = TokenPayload(identifier=payload.identifier[:-3] + "999", key_id=payload.key_id, digest=payload.digest)
    token = token_join(ghost, services._sign(id_card.signing_key, token_signed_bytes(ghost)))
    result = verify(token)
    assert (result.valid, result.reason, result.license) == (False, VerifyReason.NOT_FOUND, None)


def test_changed_content_in_database_is_detected(id_card):
    token = services.license_token(id_card)
    License.objects.filter(pk=id_card.pk).update(holder_name="王五")
    result = verify(token)
    assert (result.valid, result.reason) == (False, VerifyReason.BAD_SIGNATURE)


def test_content_digest_mismatch_is_detected_even_with_a_valid_record_signature(id_card):
    # A token minted for other content (e.g. before a re-issue) no longer matches the licence.
    payload, _signature = token_split(services.license_token(id_card))
    stale = TokenPayload(identifier=payload.identifier, key_id=payload.key_id, digest=b"\x00" * 16)
    token = token_join(stale, services._sign(id_card.signing_key, token_signed_bytes(stale)))
    assert verify(token).reason == VerifyReason.BAD_SIGNATURE


@pytest.mark.parametrize("action, reason", [
    (services.license_suspend, VerifyReason.SUSPENDED),
    (services.license_revoke, VerifyReason.REVOKED),
    (services.license_cancel, VerifyReason.CANCELLED),
])
def test_status_makes_token_invalid(id_card, gaj_staff, action, reason):
    token = services.license_token(id_card)
    action(license=id_card, actor=gaj_staff, reason="test")
    result = verify(token)
    assert (result.valid, result.reason) == (False, reason)
    assert result.license.pk == id_card.pk and result.issuer_name == "市公安局"


def test_expired(citizen):
    old = issue_id_card(valid_from=dt.date(2000, 1, 1), valid_until=dt.date(2010, 1, 1))
    result = verify(services.license_token(old))
    assert (result.valid, result.reason) == (False, VerifyReason.EXPIRED)
    assert old.status == LicenseStatus.VALID and old.effective_status == "expired"


def test_long_term_licence_never_expires(business_license):
    assert business_license.valid_until is None
    assert verify(services.license_token(business_license)).valid


def test_key_rotation_keeps_old_licences_valid(id_card):
    gaj = Department.objects.get(code="GAJ")
    old_key = id_card.signing_key
    old_token = services.license_token(id_card)
    new_key = services.license_key_rotate(department=gaj)
    old_key.refresh_from_db()
    assert new_key.active and not old_key.active and old_key.retired_at is not None
    assert SigningKey.objects.filter(department=gaj, active=True).count() == 1
    newer = issue_id_card(valid_until=None)
    assert newer.signing_key == new_key
    assert verify(old_token).valid
    assert verify(services.license_token(id_card)).valid
    assert verify(services.license_token(newer)).valid


def test_rotate_signing_key_command(demo_catalog, capsys):
    call_command("rotate_signing_key", "MZJ")
    call_command("rotate_signing_key", "MZJ")
    keys = SigningKey.objects.filter(department__code="MZJ")
    assert keys.count() == 2 and keys.filter(active=True).count() == 1
    assert keys.get(active=True).key_id in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("rotate_signing_key", "NOPE")
    with pytest.raises(CommandError):
        call_command("rotate_signing_key", "MZJ", "--algorithm", "rot13")


def test_private_key_is_encrypted_at_rest(id_card):
    key = id_card.signing_key
    assert key.private_key_encrypted.startswith("gAAAA")  # Fernet
    assert key.public_key not in key.private_key_encrypted


def test_signer_registry_is_pluggable():
    assert "ed25519" in signer_names()
    with pytest.raises(UnknownAlgorithm):
        get_signer("sm2")

    @register_signer
    class ToySigner(get_signer("ed25519").__class__):
        name = "toy-test"

    try:
        signer = get_signer("toy-test")
        private, public = signer.generate()
        assert signer.verify(public, signer.sign(private, b"x"), b"x")
        assert not signer.verify(public, signer.sign(private, b"x"), b"y")
    finally:
        from yiwang.licenses import signing

        signing._SIGNERS.pop("toy-test")
