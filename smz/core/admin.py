from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from smz.core.models import Event, PersonalDataAccess


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin pages that only show rows: the event log and the personal-data access log are never edited."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "subject_type", "subject_id", "actor"]
    list_filter = ["kind"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "subject_type", "subject_id", "field", "purpose"]
    list_filter = ["field"]
