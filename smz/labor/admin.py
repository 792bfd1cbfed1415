"""Rule tables and legal holds the city administrator maintains (also reachable from Django admin)."""

from django.contrib import admin

from smz.labor.models import AgeRule, Blacklist, LegalHold, MinimumWage


@admin.register(MinimumWage)
class MinimumWageAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "monthly_fen", "hourly_fen", "source"]


@admin.register(AgeRule)
class AgeRuleAdmin(admin.ModelAdmin):
    list_display = ["valid_from", "min_age", "max_age_male", "max_age_female", "source"]


@admin.register(Blacklist)
class BlacklistAdmin(admin.ModelAdmin):
    list_display = ["worker", "reason", "valid_from", "valid_to", "placed_by"]
    raw_id_fields = ["worker"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["project", "reason", "placed_by", "placed_at", "released_at"]
    raw_id_fields = ["project"]
