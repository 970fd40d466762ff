from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class YiwangUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "kind", "department", "is_staff", "is_active")
    list_filter = ("kind", "department", "is_staff", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("一网", {"fields": ("kind", "department", "display_name")}))
