"""What the subject's app plugs in: `register(subject_type, handler)`.

A handler has two methods:
- `on_event(instance, event_name, task, action, data)`: called after each transition, inside the
  engine's transaction (raise to roll the transition back; use transaction.on_commit for mail and
  other side effects). `event_name` is one of constants.EventName; `task` and `action` are None for
  transitions that are not a task's (clock, sweep warnings, supplement received ...).
- `describe(instance) -> dict`: labels for pages and lists, keys like "case", "item", "applicant".
- optionally `detail(instance, task, actor) -> dict`: what a handler of `task` is shown of the
  subject through the API (the application data for a case); the handler logs the read.
"""

from __future__ import annotations

from typing import Protocol


class SubjectHandler(Protocol):
    def on_event(self, instance, event_name: str, task, action: str | None, data: dict) -> None: ...

    def describe(self, instance) -> dict: ...


class _NoHandler:
    def on_event(self, instance, event_name, task, action, data) -> None:
        return None

    def describe(self, instance) -> dict:
        return {"case": instance.subject_id, "item": instance.title or instance.definition.name}


_registry: dict[str, SubjectHandler] = {}
_default = _NoHandler()


def register(subject_type: str, handler: SubjectHandler) -> None:
    _registry[subject_type] = handler


def unregister(subject_type: str) -> None:
    _registry.pop(subject_type, None)


def handler_for(subject_type: str) -> SubjectHandler:
    return _registry.get(subject_type, _default)


def describe(instance) -> dict:
    return {**_default.describe(instance), **(handler_for(instance.subject_type).describe(instance) or {})}


def detail(instance, task, actor) -> dict:
    handler = handler_for(instance.subject_type)
    return handler.detail(instance, task, actor) if hasattr(handler, "detail") else {}
