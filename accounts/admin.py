from django.contrib import admin

from accounts.models import NoticeMail, NoticePreference, OidcGrantedMembership, OidcIdentity


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "issuer", "subject", "tenant", "last_login_at"]
    search_fields = ["user__username", "user__email", "subject"]
    readonly_fields = ["created_at", "last_login_at"]


@admin.register(OidcGrantedMembership)
class OidcGrantedMembershipAdmin(admin.ModelAdmin):
    list_display = ["membership", "created_at"]
    readonly_fields = ["membership", "created_at"]


@admin.register(NoticePreference)
class NoticePreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_expiry", "email_decision", "email_month", "email_import"]


@admin.register(NoticeMail)
class NoticeMailAdmin(admin.ModelAdmin):
    list_display = ["notice", "kind", "sent_at", "error"]
    readonly_fields = ["notice", "kind", "sent_at", "error"]
