from django.contrib import admin

from smz.registry import models


@admin.register(models.CodeItem)
class CodeItemAdmin(admin.ModelAdmin):
    list_display = ["table", "code", "name", "sort"]
    list_filter = ["table"]
    search_fields = ["code", "name"]


@admin.register(models.Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_urban", "valid_from", "valid_to"]
    list_filter = ["kind", "is_urban"]


@admin.register(models.Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    filter_horizontal = ["jurisdictions"]


class QualificationInline(admin.TabularInline):
    model = models.Qualification
    extra = 0


@admin.register(models.Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "corp_code", "reg_type"]
    search_fields = ["name", "corp_code"]
    inlines = [QualificationInline]


class ParticipantInline(admin.TabularInline):
    model = models.Participant
    extra = 0
    exclude = ["pm_phone"]
    autocomplete_fields = ["enterprise"]


@admin.register(models.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "jurisdiction", "status", "in_scope", "planned_start"]
    list_filter = ["kind", "status", "in_scope", "jurisdiction"]
    search_fields = ["code", "name", "permit_no"]
    inlines = [ParticipantInline]
    autocomplete_fields = ["builder"]


@admin.register(models.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "enterprise"]
    search_fields = ["name"]
    exclude = ["responsible_phone"]
    raw_id_fields = ["leader", "project", "enterprise"]


@admin.register(models.Worker)
class WorkerAdmin(admin.ModelAdmin):
    """Admin shows no personal numbers: they are read in the portal, masked, with audited reveal."""

    list_display = ["name", "gender", "birth_date"]
    search_fields = ["name"]
    exclude = ["id_number", "phone", "bank_card", "card_photo", "face_photo"]
    readonly_fields = ["id_number_index", "phone_index"]


@admin.register(models.Employment)
class EmploymentAdmin(admin.ModelAdmin):
    list_display = ["worker", "project", "employer", "team", "work_type", "status"]
    list_filter = ["status", "work_role"]
    raw_id_fields = ["worker", "project", "employer", "team"]


@admin.register(models.KeyPost)
class KeyPostAdmin(admin.ModelAdmin):
    list_display = ["project", "post", "enterprise", "holder", "holder_since"]
    raw_id_fields = ["project", "enterprise", "holder"]
