"""Authentication: bearer tokens for the API (django-rest-knox: stored hashed, with expiry and
revocation) and a login backend that accepts a user name, a 公民身份号码 or a mobile number."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from knox.auth import TokenAuthentication

from yiwang.core.crypto import blind_index
from yiwang.core.ids import normalize_id_number

from .models import User


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <token>` as API.md specifies (prefix set in REST_KNOX)."""


def _lookup_user(login: str) -> User | None:
    login = (login or "").strip()
    if len(login) == 18 and login[:17].isdigit():
        return User.objects.filter(id_number_hash=blind_index(normalize_id_number(login), purpose="id")).first()
    if len(login) == 11 and login.isdigit() and login.startswith("1"):
        # Phones are not unique across accounts in law; only a single match logs in.
        matches = list(User.objects.filter(phone_hash=blind_index(login, purpose="phone"))[:2])
        return matches[0] if len(matches) == 1 else None
    return None


class IdentifierBackend(ModelBackend):
    """Citizens remember their ID or mobile number better than a user name."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = _lookup_user(username or "")
        if user is None or password is None:
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
