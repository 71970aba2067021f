from django.urls import path

from enablement import api, portal
from enablement.views import adoption, api_keys, handoff, training

ENGAGEMENT = "engagements/<uuid:public_id>/enablement"
ADOPTION = f"{ENGAGEMENT}/adoption"
MODULE = f"{ENGAGEMENT}/training/<uuid:module_id>"

workspace_patterns: list = [
    # Training (the phase's entry page), the matrix and one module.
    path(f"{ENGAGEMENT}/", training.enablement, name="enablement"),
    path(f"{ENGAGEMENT}/settings/", training.enablement_settings, name="enablement_settings"),
    path(f"{ENGAGEMENT}/training/assign/", training.training_assign, name="training_assign"),
    path(f"{ENGAGEMENT}/training/matrix/", training.training_matrix, name="training_matrix"),
    path(
        f"{ENGAGEMENT}/training/suggestions/<slug:key>/",
        training.training_suggestion_add,
        name="training_suggestion_add",
    ),
    path(f"{MODULE}/", training.training_module, name="training_module"),
    path(f"{MODULE}/delete/", training.training_module_delete, name="training_module_delete"),
    path(f"{MODULE}/questions/", training.training_question_add, name="training_question_add"),
    path(
        f"{MODULE}/questions/<uuid:question_id>/delete/",
        training.training_question_delete,
        name="training_question_delete",
    ),
    path(
        f"{MODULE}/attachments/", training.training_attachment_add, name="training_attachment_add"
    ),
    path(
        f"{MODULE}/attachments/<uuid:attachment_id>/",
        training.training_attachment_download,
        name="training_attachment_download",
    ),
    path(
        f"{MODULE}/attachments/<uuid:attachment_id>/delete/",
        training.training_attachment_delete,
        name="training_attachment_delete",
    ),
    path(
        f"{MODULE}/assignments/<uuid:assignment_id>/delete/",
        training.training_unassign,
        name="training_unassign",
    ),
    # Handoff: support model and checklist (the handoff pack PDF: engagements.document_pages).
    path(f"{ENGAGEMENT}/handoff/", handoff.handoff, name="handoff"),
    path(f"{ENGAGEMENT}/handoff/<slug:kind>/", handoff.handoff_item_add, name="handoff_item_add"),
    path(
        f"{ENGAGEMENT}/handoff/<slug:kind>/<uuid:item_id>/",
        handoff.handoff_item_edit,
        name="handoff_item_edit",
    ),
    path(
        f"{ENGAGEMENT}/handoff/<slug:kind>/<uuid:item_id>/delete/",
        handoff.handoff_item_delete,
        name="handoff_item_delete",
    ),
    # Adoption (the adoption helper's part): dashboard, usage data in, alerts, settings.
    path(f"{ADOPTION}/", adoption.adoption, name="adoption"),
    path(f"{ADOPTION}/recompute/", adoption.adoption_recompute, name="adoption_recompute"),
    path(f"{ADOPTION}/jobs/<uuid:metrics_job_id>/", adoption.adoption_job, name="adoption_job"),
    path(f"{ADOPTION}/data/", adoption.adoption_data, name="adoption_data"),
    path(
        f"{ADOPTION}/data/<uuid:usage_upload_id>/",
        adoption.adoption_upload,
        name="adoption_upload",
    ),
    path(f"{ADOPTION}/alerts/", adoption.adoption_alerts, name="adoption_alerts"),
    path(f"{ADOPTION}/settings/", adoption.adoption_settings, name="adoption_settings"),
    path(
        f"{ADOPTION}/settings/features/", adoption.adoption_feature_add, name="adoption_feature_add"
    ),
    path(
        f"{ADOPTION}/settings/features/<uuid:key_feature_id>/delete/",
        adoption.adoption_feature_delete,
        name="adoption_feature_delete",
    ),
    path(f"{ADOPTION}/settings/fields/", adoption.adoption_field_add, name="adoption_field_add"),
    path(
        f"{ADOPTION}/settings/fields/<uuid:required_field_id>/delete/",
        adoption.adoption_field_delete,
        name="adoption_field_delete",
    ),
    # The firm's API keys (firm-wide, not per engagement).
    path("api-keys/", api_keys.api_keys, name="api_keys"),
    path("api-keys/<uuid:api_key_id>/revoke/", api_keys.api_key_revoke, name="api_key_revoke"),
]

portal_patterns: list = [
    path(f"{ENGAGEMENT}/", portal.portal_enablement, name="portal_enablement"),
    path(
        f"{ENGAGEMENT}/training/<uuid:module_id>/",
        portal.portal_training_module,
        name="portal_training_module",
    ),
    path(
        f"{ENGAGEMENT}/training/<uuid:module_id>/attachments/<uuid:attachment_id>/",
        portal.portal_training_attachment,
        name="portal_training_attachment",
    ),
    path(f"{ADOPTION}/", portal.portal_adoption, name="portal_adoption"),
]

# The REST API (enablement/api.py), included under /api/v1/ by config/urls.py.
api_patterns: list = [
    path("engagements/", api.EngagementListView.as_view(), name="api_engagements"),
    path(
        "engagements/<uuid:public_id>/usage-events/",
        api.UsageEventsView.as_view(),
        name="api_usage_events",
    ),
    path(
        "engagements/<uuid:public_id>/adoption/weekly/",
        api.WeeklyMetricsView.as_view(),
        name="api_weekly_metrics",
    ),
]
