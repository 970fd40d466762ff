"""The registries in the admin: read only (rows change only through registry.services), searchable
by name only, identifiers masked."""

from django.contrib import admin

from .models import (
    Delivery,
    Entity,
    FollowUpTask,
    Household,
    OutboxMessage,
    Person,
    RegistryEvent,
    Subscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["name", "masked_id_number", "sex", "birth_date", "marital_status", "entry_status", "died_on"]
    list_filter = ["entry_status", "marital_status", "sex"]
    search_fields = ["name"]
    show_full_result_count = False  # counting a million rows on every page is not worth it
    exclude = ["id_number", "phone"]
    readonly_fields = ["masked_id_number", "masked_phone"]
    list_select_related = False

    @admin.display(description="公民身份号码")
    def masked_id_number(self, obj):
        return obj.masked_id_number

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Opening a person is a read of personal data: it shows in their "who read my data".
        from yiwang.sharing.constants import AccessChannel
        from yiwang.sharing.services import access_record

        person = self.get_object(request, object_id)
        if person is not None and self.has_view_permission(request, person):
            access_record(reader=request.user, elements=["person.name", "person.birth_date", "person.address",
                                                         "person.marital_status", "person.died_on"],
                          purpose="管理后台查看人口库记录", channel=AccessChannel.STAFF_LOOKUP,
                          subject_hash=person.id_number_hash, subject_label=person.masked_id_number)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="手机号码")
    def masked_phone(self, obj):
        from yiwang.core.masking import mask_phone

        return mask_phone(obj.phone)


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["number", "region", "registered_on"]
    show_full_result_count = False


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    list_display = ["name", "uscc", "kind", "legal_representative_name", "status", "registered_on"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    raw_id_fields = ["legal_representative"]


@admin.register(RegistryEvent)
class RegistryEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "source_department", "occurred_on", "recorded_at"]
    list_filter = ["kind", "source_department"]
    raw_id_fields = ["person", "entity"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "created_at", "published_at", "attempts", "last_error"]
    list_filter = [("published_at", admin.EmptyFieldListFilter)]


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["event_kind", "department", "handler", "active"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription", "delivered_at"]


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(ReadOnlyAdmin):
    list_display = ["id", "department", "title", "status", "created_at", "done_at"]
    list_filter = ["department", "status", "kind"]
    raw_id_fields = ["person", "entity", "event"]
