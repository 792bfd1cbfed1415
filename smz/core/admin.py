from django.contrib import admin

from smz.core.models import Event, PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "subject_type", "subject_id", "actor"]
    list_filter = ["kind"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "subject_type", "subject_id", "field", "purpose"]
    list_filter = ["field"]
