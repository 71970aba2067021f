from django.urls import path

from launch import portal, views
from launch.workbench import views as workbench

ENGAGEMENT = "engagements/<uuid:public_id>/launch"
MIGRATION = f"{ENGAGEMENT}/migration"

workspace_patterns = [
    path(f"{ENGAGEMENT}/", views.launch, name="launch"),
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
]

# The data-migration workbench.
workspace_patterns += [
    path(f"{MIGRATION}/", workbench.migration, name="migration"),
    path(f"{MIGRATION}/start/", workbench.migration_start, name="migration_start"),
    path(f"{MIGRATION}/sources/", workbench.migration_sources, name="migration_sources"),
    path(
        f"{MIGRATION}/sources/<uuid:upload_id>/",
        workbench.migration_source,
        name="migration_source",
    ),
    path(f"{MIGRATION}/schema/", workbench.migration_schema, name="migration_schema"),
    path(
        f"{MIGRATION}/schema/<uuid:target_id>/fields/",
        workbench.migration_field_add,
        name="migration_field_add",
    ),
    path(
        f"{MIGRATION}/fields/<uuid:field_id>/",
        workbench.migration_field_edit,
        name="migration_field_edit",
    ),
    path(
        f"{MIGRATION}/fields/<uuid:field_id>/delete/",
        workbench.migration_field_delete,
        name="migration_field_delete",
    ),
    path(
        f"{MIGRATION}/mapping/<uuid:target_id>/",
        workbench.migration_mapping,
        name="migration_mapping",
    ),
    path(f"{MIGRATION}/runs/", workbench.migration_runs, name="migration_runs"),
    path(
        f"{MIGRATION}/runs/<uuid:migration_run_id>/",
        workbench.migration_run,
        name="migration_run",
    ),
    path(f"{MIGRATION}/review/", workbench.migration_review, name="migration_review"),
    path(
        f"{MIGRATION}/review/<uuid:pair_id>/",
        workbench.migration_pair_decide,
        name="migration_pair_decide",
    ),
    path(f"{MIGRATION}/datasets/", workbench.migration_datasets, name="migration_datasets"),
    path(
        f"{MIGRATION}/datasets/<uuid:dataset_id>/",
        workbench.migration_dataset,
        name="migration_dataset",
    ),
    path(
        f"{MIGRATION}/datasets/<uuid:dataset_id>/rollback/",
        workbench.migration_rollback,
        name="migration_rollback",
    ),
    path(
        f"{MIGRATION}/files/<uuid:dataset_file_id>/download/",
        workbench.migration_file_download,
        name="migration_file_download",
    ),
]

portal_patterns = [
    path(f"{ENGAGEMENT}/", portal.portal_launch, name="portal_launch"),
    path(f"{ENGAGEMENT}/incidents/", portal.portal_incident_report, name="portal_incident_report"),
]
