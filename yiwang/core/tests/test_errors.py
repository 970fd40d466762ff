"""The API error format of API.md: {"error": {"code", "message", "fields"}}, in the request's language."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from rest_framework import exceptions, status

from yiwang.core.errors import api_exception_handler, error_body, handler404, handler500

CJK = range(0x4E00, 0xA000)


def _has_chinese(text: str) -> bool:
    return any(ord(ch) in CJK for ch in text)


def _shape(body: dict) -> dict:
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    return body["error"]


def test_error_body_defaults():
    error = _shape(error_body("not_found"))
    assert error["code"] == "not_found" and error["fields"] == {}
    assert _shape(error_body("no_such_code"))["message"] == _shape(error_body("invalid"))["message"]
    assert _shape(error_body("invalid", "自定义", {"a": ["b"]})) == {"code": "invalid", "message": "自定义",
                                                                   "fields": {"a": ["b"]}}


@pytest.mark.parametrize("exc, status_code, code", [
    (Http404(), 404, "not_found"),
    (exceptions.NotFound(), 404, "not_found"),
    (PermissionDenied(), 403, "permission_denied"),
    (exceptions.NotAuthenticated(), 401, "not_authenticated"),
    (exceptions.MethodNotAllowed("POST"), 405, "method_not_allowed"),
    (exceptions.Throttled(wait=3), 429, "throttled"),
    (exceptions.ParseError(), 400, "parse_error"),
])
def test_handler_maps_exceptions(exc, status_code, code):
    response = api_exception_handler(exc, {})
    assert response.status_code == status_code
    assert _shape(response.data)["code"] == code


def test_handler_keeps_a_custom_message():
    response = api_exception_handler(exceptions.NotFound("页码超出范围。"), {})
    assert _shape(response.data)["message"] == "页码超出范围。"


def test_validation_errors_become_fields():
    exc = exceptions.ValidationError({"page": ["必须是正整数。"], "address": {"city": ["必填。"]},
                                      "note": "太长"})
    response = api_exception_handler(exc, {})
    assert response.status_code == 400
    error = _shape(response.data)
    assert error["code"] == "invalid"
    assert error["fields"]["page"] == ["必须是正整数。"]
    assert error["fields"]["address.city"] == ["必填。"]
    assert error["fields"]["note"] == ["太长"]
    assert all(isinstance(m, str) for msgs in error["fields"].values() for m in msgs)


def test_errors_of_a_list_of_objects_are_plain_messages():
    exc = exceptions.ValidationError({"materials": [{"name": ["必填。"]}, {}]})
    error = _shape(api_exception_handler(exc, {}).data)
    assert error["fields"] == {"materials.0.name": ["必填。"]}


def test_non_field_validation_errors():
    response = api_exception_handler(exceptions.ValidationError(["整体有误"]), {})
    assert _shape(response.data)["fields"] == {"non_field_errors": ["整体有误"]}


def test_conflict_code():
    class Conflict(exceptions.APIException):
        status_code = status.HTTP_409_CONFLICT
        default_detail = "状态已变化"
        default_code = "stale"

    response = api_exception_handler(Conflict(), {})
    assert response.status_code == 409
    assert _shape(response.data)["code"] == "conflict"


def test_unexpected_exception_is_a_500_without_a_trace():
    response = api_exception_handler(RuntimeError("secret internals"), {})
    assert response.status_code == 500
    error = _shape(response.data)
    assert error["code"] == "server_error"
    assert "secret" not in json.dumps(response.data) and "Traceback" not in json.dumps(response.data)


def test_django_handlers_answer_json_under_api():
    factory = RequestFactory()
    response = handler404(factory.get("/api/v1/nothing"), Http404())
    assert response.status_code == 404 and _shape(json.loads(response.content))["code"] == "not_found"
    response = handler500(factory.get("/api/v1/items"))
    assert response.status_code == 500 and _shape(json.loads(response.content))["code"] == "server_error"


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert _shape(response.json())["code"] == "not_found"


@pytest.mark.django_db
def test_unknown_page_outside_the_api_is_not_json(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_messages_are_chinese_by_default_and_the_shape_holds_in_english(client):
    from django.core.cache import cache

    cache.clear()
    zh = _shape(client.get("/api/v1/items", {"page": "abc"}).json())
    assert _has_chinese(zh["message"])
    en = _shape(client.get("/api/v1/items", {"page": "abc"}, HTTP_ACCEPT_LANGUAGE="en").json())
    assert en["code"] == zh["code"] == "invalid"
    assert set(en["fields"]) == set(zh["fields"]) == {"page"}
    zh_404 = _shape(client.get("/api/v1/items/NOPE-0000").json())
    en_404 = _shape(client.get("/api/v1/items/NOPE-0000", HTTP_ACCEPT_LANGUAGE="en").json())
    assert zh_404["code"] == en_404["code"] == "not_found" and _has_chinese(zh_404["message"])


@pytest.mark.django_db
def test_method_not_allowed_is_in_the_format(client):
    from django.core.cache import cache

    cache.clear()
    response = client.delete("/api/v1/departments")
    assert response.status_code == 405
    assert _shape(response.json())["code"] == "method_not_allowed"
