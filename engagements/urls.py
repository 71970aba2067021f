from django.contrib.auth import views as auth_views
from django.urls import include, path

from engagements import accounts, portal, views
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

workspace_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/", views.client_list, name="client_list"),
    path("team/", views.team, name="team"),
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
]

portal_patterns = [
    path("", portal.portal_home, name="portal_home"),
    path("engagements/<uuid:public_id>/", portal.portal_engagement, name="portal_engagement"),
]

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", accounts.healthz, name="healthz"),
    path("accounts/", include(account_patterns)),
    path("invitations/<str:token>/", accounts.invitation_accept, name="invitation_accept"),
    path("workspace/", include(workspace_patterns)),
    path("portal/", include(portal_patterns)),
]
