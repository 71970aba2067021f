from django.urls import path

from launch import portal, views

ENGAGEMENT = "engagements/<uuid:public_id>/launch"

workspace_patterns = [
    path(f"{ENGAGEMENT}/", views.launch, name="launch"),
    path(f"{ENGAGEMENT}/plan/render/", views.launch_plan_render, name="launch_plan_render"),
    path(f"{ENGAGEMENT}/plan/<slug:kind>/", views.plan_item_add, name="launch_item_add"),
    path(
        f"{ENGAGEMENT}/plan/<slug:kind>/<uuid:item_id>/delete/",
        views.plan_item_delete,
        name="launch_item_delete",
    ),
    path(f"{ENGAGEMENT}/runbook/<uuid:step_id>/tick/", views.runbook_tick, name="runbook_tick"),
    path(f"{ENGAGEMENT}/waves/", views.waves, name="waves"),
    path(f"{ENGAGEMENT}/waves/<uuid:wave_id>/", views.wave, name="wave"),
    path(f"{ENGAGEMENT}/hypercare/", views.hypercare, name="hypercare"),
    path(
        f"{ENGAGEMENT}/hypercare/<uuid:incident_id>/",
        views.incident,
        name="incident",
    ),
    path(
        f"{ENGAGEMENT}/plan/v/<uuid:version_id>/download/",
        views.launch_plan_download,
        name="launch_plan_download",
    ),
]

portal_patterns = [
    path(f"{ENGAGEMENT}/", portal.portal_launch, name="portal_launch"),
    path(f"{ENGAGEMENT}/incidents/", portal.portal_incident_report, name="portal_incident_report"),
]
