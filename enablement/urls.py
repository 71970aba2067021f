from django.urls import path  # noqa: F401

ENGAGEMENT = "engagements/<uuid:public_id>/enablement"

workspace_patterns: list = []

portal_patterns: list = []
