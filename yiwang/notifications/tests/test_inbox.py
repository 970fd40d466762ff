"""The site inbox: posting by subject code, de-duplication, own messages only, read on open."""

import pytest
from django.core.exceptions import ValidationError

from yiwang.identity.constants import AccountKind
from yiwang.identity.models import User
from yiwang.identity.selectors import subject_index
from yiwang.notifications.models import InboxMessage
from yiwang.notifications.selectors import inbox_for_user, inbox_unread_count
from yiwang.notifications.services import inbox_post

pytestmark = pytest.mark.django_db
ID_A = "330102198805120356"
ID_B = "330102199008200465"


@pytest.fixture
def alice():
    return User.objects.create(username="alice", kind=AccountKind.CITIZEN, id_number_hash=subject_index(ID_A))


def test_post_by_code_or_hash_reaches_the_same_person(alice):
    inbox_post(recipient_code=f" {ID_A} ", subject="一", body="正文")  # normalised like the index
    inbox_post(recipient_hash=subject_index(ID_A), subject="二")
    inbox_post(recipient_code=ID_B, subject="别人的")
    assert sorted(inbox_for_user(alice).values_list("subject", flat=True)) == ["一", "二"]
    assert inbox_unread_count(alice) == 2


def test_message_posted_before_registration_is_there_after(alice):
    inbox_post(recipient_code=ID_B, subject="出生一件事")
    bob = User.objects.create(username="bob", kind=AccountKind.CITIZEN)
    assert not inbox_for_user(bob).exists()
    bob.id_number_hash = subject_index(ID_B)
    bob.save()
    assert list(inbox_for_user(bob).values_list("subject", flat=True)) == ["出生一件事"]


def test_dedupe_key_and_bad_input():
    first = inbox_post(recipient_code=ID_A, subject="s", dedupe_key="born:1")
    assert inbox_post(recipient_code=ID_A, subject="s", dedupe_key="born:1") == first
    assert InboxMessage.objects.count() == 1
    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValidationError):
            inbox_post(recipient_code=ID_A, subject="s", link=link)
    with pytest.raises(ValidationError):
        inbox_post(recipient_code=ID_A, subject="  ")
    with pytest.raises(ValueError):
        inbox_post(recipient_code=ID_A, recipient_hash="x", subject="s")
    assert InboxMessage.objects.count() == 1


def test_pages(client, alice):
    mine = inbox_post(recipient_code=ID_A, subject="新生儿出生一件事", body="恭喜", link="/life-events/newborn_birth")
    other = inbox_post(recipient_code=ID_B, subject="不是你的")
    assert client.get("/inbox/").status_code == 302  # login first
    client.force_login(alice)
    html = client.get("/inbox/").content.decode()
    assert "新生儿出生一件事" in html and "不是你的" not in html and "1 条未读消息" in html
    response = client.get(f"/inbox/{mine.pk}/")
    assert response.status_code == 200 and 'href="/life-events/newborn_birth"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "0 条未读消息" in client.get("/inbox/").content.decode()
    assert client.get(f"/inbox/{other.pk}/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None
