from django import template

from yiwang.core.masking import mask_name

register = template.Library()


@register.filter
def masked_name(user) -> str:
    """A person's name as the window lists it (张*): the clerk recognises it, onlookers do not."""
    return mask_name(getattr(user, "display_name", "") or user.get_username()) if user else ""
