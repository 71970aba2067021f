from django.urls import path

from diagnostics import portal, views

ENGAGEMENT = "engagements/<uuid:public_id>/diagnostic"

workspace_patterns = [
    path("prompts/", views.prompt_library, name="prompt_library"),
    path(f"{ENGAGEMENT}/", views.diagnostic, name="diagnostic"),
    path(f"{ENGAGEMENT}/workshops/<uuid:workshop_id>/", views.workshop, name="workshop"),
    path(
        f"{ENGAGEMENT}/workshops/<uuid:workshop_id>/agenda/",
        views.workshop_agenda_add,
        name="workshop_agenda_add",
    ),
    path(
        f"{ENGAGEMENT}/workshops/<uuid:workshop_id>/finding/",
        views.workshop_finding,
        name="workshop_finding",
    ),
    path(f"{ENGAGEMENT}/findings/", views.findings, name="findings"),
    path(f"{ENGAGEMENT}/findings/<uuid:finding_id>/", views.finding_edit, name="finding_edit"),
    path(f"{ENGAGEMENT}/landscape/", views.landscape, name="landscape"),
    path(
        f"{ENGAGEMENT}/landscape/sources/<uuid:source_id>/delete/",
        views.data_source_delete,
        name="data_source_delete",
    ),
    path(f"{ENGAGEMENT}/tools/<uuid:tool_id>/assess/", views.tool_assess, name="tool_assess"),
    path(f"{ENGAGEMENT}/report/", views.report, name="report"),
    path(
        f"{ENGAGEMENT}/report/recommendations/<uuid:recommendation_id>/delete/",
        views.recommendation_delete,
        name="recommendation_delete",
    ),
]

portal_patterns = [
    path(f"{ENGAGEMENT}/", portal.portal_diagnostic, name="portal_diagnostic"),
    path(
        f"{ENGAGEMENT}/prework/<uuid:prompt_id>/",
        portal.portal_prework,
        name="portal_prework",
    ),
]
