from django.urls import path

from architecture import portal, views

ENGAGEMENT = "engagements/<uuid:public_id>/architecture"

workspace_patterns = [
    path(f"{ENGAGEMENT}/", views.architecture, name="architecture"),
    path(f"{ENGAGEMENT}/tools/<uuid:tool_id>/decide/", views.tool_decide, name="tool_decide"),
    path(
        f"{ENGAGEMENT}/capabilities/<uuid:capability_id>/delete/",
        views.capability_delete,
        name="capability_delete",
    ),
    path(f"{ENGAGEMENT}/blueprint/", views.blueprint, name="blueprint"),
    path(
        f"{ENGAGEMENT}/blueprint/<slug:kind>/",
        views.blueprint_part_save,
        name="blueprint_part_add",
    ),
    path(
        f"{ENGAGEMENT}/blueprint/<slug:kind>/<uuid:item_id>/",
        views.blueprint_part_save,
        name="blueprint_part_edit",
    ),
    path(
        f"{ENGAGEMENT}/blueprint/<slug:kind>/<uuid:item_id>/delete/",
        views.blueprint_part_delete,
        name="blueprint_part_delete",
    ),
    path(f"{ENGAGEMENT}/evaluations/", views.evaluations, name="evaluations"),
    path(
        f"{ENGAGEMENT}/evaluations/<uuid:evaluation_id>/",
        views.evaluation,
        name="evaluation",
    ),
    path(
        f"{ENGAGEMENT}/evaluations/<uuid:evaluation_id>/export.csv",
        views.evaluation_csv,
        name="evaluation_csv",
    ),
]

portal_patterns = [
    path(f"{ENGAGEMENT}/", portal.portal_architecture, name="portal_architecture"),
    path(
        f"{ENGAGEMENT}/evaluations/<uuid:evaluation_id>/scores/",
        portal.portal_scores,
        name="portal_scores",
    ),
]
