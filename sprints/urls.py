from django.urls import path

from sprints import portal, views

ENGAGEMENT = "engagements/<uuid:public_id>/build"

workspace_patterns = [
    path(f"{ENGAGEMENT}/", views.sprints, name="sprints"),
    path(f"{ENGAGEMENT}/sprints/<uuid:sprint_id>/", views.sprint, name="sprint"),
    path(f"{ENGAGEMENT}/sprints/<uuid:sprint_id>/check-in/", views.check_in, name="check_in"),
    path(
        f"{ENGAGEMENT}/deliverables/<uuid:deliverable_id>/move/",
        views.deliverable_move,
        name="deliverable_move",
    ),
    path(f"{ENGAGEMENT}/scenarios/", views.scenarios, name="scenarios"),
    path(f"{ENGAGEMENT}/scenarios/<uuid:scenario_id>/", views.scenario, name="scenario"),
    path(
        f"{ENGAGEMENT}/scenarios/<uuid:scenario_id>/run/", views.scenario_run, name="scenario_run"
    ),
    path(
        f"{ENGAGEMENT}/runs/<uuid:run_id>/evidence/<uuid:result_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path(f"{ENGAGEMENT}/uat/", views.uat, name="uat"),
    path(
        f"{ENGAGEMENT}/uat/feedback/<uuid:feedback_id>/triage/",
        views.feedback_triage,
        name="feedback_triage",
    ),
]

portal_patterns = [
    path(f"{ENGAGEMENT}/", portal.portal_build, name="portal_build"),
    path(
        f"{ENGAGEMENT}/uat/<uuid:round_id>/scenarios/<uuid:scenario_id>/",
        portal.portal_uat_run,
        name="portal_uat_run",
    ),
    path(
        f"{ENGAGEMENT}/uat/<uuid:round_id>/feedback/",
        portal.portal_feedback,
        name="portal_feedback",
    ),
]
