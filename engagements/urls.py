from django.contrib.auth import views as auth_views
from django.urls import include, path

from engagements import accounts, document_pages, onboarding, portal, views, work
from engagements.forms import SignInForm

account_patterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("", include("django.contrib.auth.urls")),
]

DOCUMENT = "engagements/<uuid:public_id>/documents/<slug:kind>"
VERSION = f"{DOCUMENT}/v/<uuid:version_id>"

workspace_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("my-work/", work.my_work, name="my_work"),
    path("clients/", views.client_list, name="client_list"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.csv", views.portfolio_export, name="portfolio_export"),
    path("team/", views.team, name="team"),
    path("settings/sign-off/", views.gate_settings, name="gate_settings"),
    path("me/notifications/", views.notification_settings, name="notification_settings"),
    path("emails/<uuid:email_id>/resend/", views.email_resend, name="email_resend"),
    path("engagements/new/", views.engagement_create, name="engagement_create"),
    path("engagements/<uuid:public_id>/", views.engagement_detail, name="engagement_detail"),
    path("engagements/<uuid:public_id>/edit/", views.engagement_edit, name="engagement_edit"),
    path(
        "engagements/<uuid:public_id>/stakeholders/",
        views.stakeholder_add,
        name="stakeholder_add",
    ),
    path(
        "engagements/<uuid:public_id>/stakeholders/<uuid:stakeholder_id>/edit/",
        views.stakeholder_edit,
        name="stakeholder_edit",
    ),
    path(
        "engagements/<uuid:public_id>/stakeholders/<uuid:stakeholder_id>/delete/",
        views.stakeholder_delete,
        name="stakeholder_delete",
    ),
    path(
        "engagements/<uuid:public_id>/stakeholders/<uuid:stakeholder_id>/invite/",
        views.stakeholder_invite,
        name="stakeholder_invite",
    ),
    path(
        "engagements/<uuid:public_id>/advance/",
        onboarding.engagement_advance,
        name="engagement_advance",
    ),
    path(
        "engagements/<uuid:public_id>/phases/<str:phase>/signoff/",
        onboarding.signoff_request,
        name="signoff_request",
    ),
    path(
        "engagements/<uuid:public_id>/phases/<str:phase>/reopen/",
        onboarding.phase_reopen,
        name="phase_reopen",
    ),
    path("engagements/<uuid:public_id>/onboarding/", onboarding.onboarding, name="onboarding"),
    path(
        "engagements/<uuid:public_id>/onboarding/summary/",
        onboarding.onboarding_summary,
        name="onboarding_summary",
    ),
    path(
        "engagements/<uuid:public_id>/onboarding/raci/",
        onboarding.onboarding_raci,
        name="onboarding_raci",
    ),
    path(
        "engagements/<uuid:public_id>/onboarding/<slug:section>/",
        onboarding.onboarding_item_add,
        name="onboarding_item_add",
    ),
    path(
        "engagements/<uuid:public_id>/onboarding/<slug:section>/<uuid:item_id>/edit/",
        onboarding.onboarding_item_edit,
        name="onboarding_item_edit",
    ),
    path(
        "engagements/<uuid:public_id>/onboarding/<slug:section>/<uuid:item_id>/delete/",
        onboarding.onboarding_item_delete,
        name="onboarding_item_delete",
    ),
    # Every document kind (engagements.registry.DocumentKind), by its slug.
    path(f"{DOCUMENT}/render/", document_pages.document_render, name="document_render"),
    path(f"{VERSION}/progress/", document_pages.document_progress, name="document_progress"),
    path(f"{VERSION}/retry/", document_pages.document_retry, name="document_retry"),
    path(
        f"{VERSION}/download/", document_pages.document_version_download, name="document_download"
    ),
    path(f"{VERSION}/send/", document_pages.document_send, name="document_send"),
]

portal_patterns = [
    path("", portal.portal_home, name="portal_home"),
    path(
        "notifications/",
        portal.portal_notification_settings,
        name="portal_notification_settings",
    ),
    path("engagements/<uuid:public_id>/", portal.portal_engagement, name="portal_engagement"),
    path(
        "engagements/<uuid:public_id>/onboarding/",
        portal.portal_onboarding,
        name="portal_onboarding",
    ),
    path(
        "engagements/<uuid:public_id>/phases/<str:phase>/decide/",
        portal.portal_signoff_decide,
        name="portal_signoff_decide",
    ),
    path(
        f"{VERSION}/download/",
        document_pages.portal_document_download,
        name="portal_document_download",
    ),
]

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", accounts.healthz, name="healthz"),
    path("accounts/", include(account_patterns)),
    path("invitations/<str:token>/", accounts.invitation_accept, name="invitation_accept"),
    path("workspace/", include(workspace_patterns)),
    path("portal/", include(portal_patterns)),
]
