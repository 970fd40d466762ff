"""The citizen's and enterprise's inbox pages."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import inbox_for_user
from .services import inbox_mark_read

PAGE_SIZE = 20


@login_required
@require_GET
def inbox_list(request):
    messages = inbox_for_user(request.user)
    page = Paginator(messages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox_list.html", {
        "page": page, "unread": messages.filter(read_at__isnull=True).count(),
    })


@login_required
@require_GET
def inbox_detail(request, pk: int):
    message = inbox_for_user(request.user).filter(pk=pk).first()
    if message is None:  # someone else's message: same answer as a missing one
        raise Http404
    inbox_mark_read(message=message)
    return render(request, "notifications/inbox_detail.html", {"message": message})
