"""What the sharing services raise. The API turns SharingDenied and NotFound into the same 404, so a
caller cannot learn whether a person exists from a denied read."""

from django.core.exceptions import PermissionDenied


class SharingDenied(PermissionDenied):
    """The reader may not have (some of) the elements, or may not decide this request.
    `elements` lists the element codes refused (empty when the whole action is refused)."""

    def __init__(self, message: str = "", *, elements: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.elements = list(elements or [])


class NotFound(Exception):
    """No such living person or entity, or no such request visible to the caller."""


class DecisionConflict(Exception):
    """The request is no longer pending (already decided, withdrawn or expired)."""
