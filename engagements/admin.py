"""The platform admin (for Waypoint's operators, not for firms). It sees across tenants, so
every tenant-owned model is listed through its `unscoped` manager."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from engagements.models import (
    ActivityEvent,
    Client,
    Engagement,
    Firm,
    Invitation,
    Membership,
    OutboundEmail,
    Stakeholder,
    User,
)


class UnscopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        # Unscoped on purpose: platform staff administer every firm; tenants never reach here.
        return self.model.unscoped.all()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if hasattr(related, "unscoped"):
            # Unscoped on purpose: the same platform-staff view, so choices from every firm.
            kwargs.setdefault("queryset", related.unscoped.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Status", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"fields": ["email", "password1", "password2"]})]


for model in (
    Membership,
    Client,
    Engagement,
    Stakeholder,
    ActivityEvent,
    Invitation,
    OutboundEmail,
):
    admin.site.register(model, UnscopedAdmin)
