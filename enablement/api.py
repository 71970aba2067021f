"""REST API of Phase 6 (DRF, under /api/v1/): usage events in, adoption metrics out.

Authenticated by a firm API key (integrations) or the browser session of an owner or
consultant. The credential's firm is the tenant (authentication.TenantScopedAPIView): another
firm's engagement answers 404, like an unknown one. The API writes only through the services.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from enablement.authentication import ApiKeyPrincipal, TenantScopedAPIView
from enablement.models import UploadStatus, UsageKind, UsageUpload, WeeklyMetric
from enablement.services import usage
from engagements.models import Engagement

# --- serializers: shape only --------------------------------------------------------------------


class UsageEventSerializer(serializers.Serializer):
    """One usage event, as documented. Each posted event is validated by the ingestion service,
    which reports every bad one with its position and reason."""

    id = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Your system's id of the event, unique per API key. With it, re-sending an "
        "event never stores it twice; without it, an event is recognised by its content.",
    )
    user = serializers.EmailField(help_text="The email of a stakeholder of the engagement.")
    kind = serializers.ChoiceField(choices=UsageKind.choices)
    feature = serializers.CharField(
        required=False, help_text="The feature used (required for feature_used), e.g. forecast."
    )
    object = serializers.CharField(
        required=False, help_text="The record's object (required for record events)."
    )
    record_id = serializers.CharField(required=False)
    timestamp = serializers.DateTimeField(
        help_text="ISO 8601; without a zone it is read as UTC. Not in the future, and not before "
        "the engagement's start date (or, without one, more than two years ago)."
    )
    fields = serializers.DictField(
        required=False,
        allow_null=True,
        child=serializers.CharField(allow_blank=True, allow_null=True),
        help_text="For record events: the record's fields (name → value), to measure "
        "data-entry completeness against the object's required fields.",
    )


class UsageBatchDocSerializer(serializers.Serializer):
    events = UsageEventSerializer(many=True)
    skip_unknown_users = serializers.BooleanField(
        default=False,
        help_text="Skip (and count) events of people who are not stakeholders instead of "
        "rejecting the batch, e.g. for integration users.",
    )


class UsageBatchSerializer(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.JSONField(), allow_empty=False, max_length=usage.MAX_API_EVENTS
    )
    skip_unknown_users = serializers.BooleanField(default=False)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The event's position in `events`, from 1.")
    reason = serializers.CharField()


class UsageUploadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    errors = RowErrorSerializer(many=True, read_only=True)
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = UsageUpload
        fields = [
            "id", "status", "received", "stored", "duplicates", "skipped", "rejected",
            "errors", "notes",
        ]  # fmt: skip


class EngagementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    client = serializers.CharField(source="client.name", read_only=True)

    class Meta:
        model = Engagement
        fields = ["id", "name", "client", "current_phase", "status"]


class WeeklyMetricSerializer(serializers.ModelSerializer):
    stakeholder = serializers.UUIDField(source="stakeholder.public_id", read_only=True)
    email = serializers.EmailField(source="stakeholder.email", read_only=True)

    class Meta:
        model = WeeklyMetric
        fields = [
            "week", "stakeholder", "email", "role", "active_days", "logins", "events",
            "completeness", "utilisation", "score",
        ]  # fmt: skip


# --- views --------------------------------------------------------------------------------------


class Page(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


def _engagement(public_id) -> Engagement:
    return get_object_or_404(Engagement.objects.select_related("client"), public_id=public_id)


class EngagementListView(TenantScopedAPIView):
    @extend_schema(
        summary="Engagements of the key's firm",
        responses=EngagementSerializer(many=True),
        tags=["engagements"],
    )
    def get(self, request: Request) -> Response:
        engagements = Engagement.objects.select_related("client").order_by("-created_at", "-id")
        paginator = Page()
        page = paginator.paginate_queryset(engagements, request, view=self)
        return paginator.get_paginated_response(EngagementSerializer(page, many=True).data)


class UsageEventsView(TenantScopedAPIView):
    @extend_schema(
        summary="Post usage events",
        description=(
            f"Up to {usage.MAX_API_EVENTS:,} events per request. Every event is validated: if "
            "any is bad, none is stored and the answer (400) lists each bad event's position "
            "and reason. Events already received are recognised (by `id`, or by content) and "
            "counted as `duplicates`, so re-sending a batch is safe."
        ),
        request=UsageBatchDocSerializer,
        responses={201: UsageUploadSerializer, 400: UsageUploadSerializer},
        examples=[
            OpenApiExample(
                "A login and a feature used",
                value={
                    "events": [
                        {
                            "id": "evt-1",
                            "user": "ray@xylo.example",
                            "kind": "login",
                            "timestamp": "2025-03-04T09:15:00Z",
                        },
                        {
                            "user": "ray@xylo.example",
                            "kind": "feature_used",
                            "feature": "forecast",
                            "timestamp": "2025-03-04T09:20:00Z",
                        },
                    ]
                },
                request_only=True,
            )
        ],
        tags=["usage"],
    )
    def post(self, request: Request, public_id) -> Response:
        engagement = _engagement(public_id)
        envelope = UsageBatchSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        principal = request.user
        upload = usage.api_events_ingest(
            engagement=engagement,
            events=envelope.validated_data["events"],
            api_key=principal.api_key if isinstance(principal, ApiKeyPrincipal) else None,
            actor=None if isinstance(principal, ApiKeyPrincipal) else principal,
            skip_unknown_users=envelope.validated_data["skip_unknown_users"],
        )
        code = (
            status.HTTP_201_CREATED
            if upload.status == UploadStatus.ACCEPTED
            else status.HTTP_400_BAD_REQUEST
        )
        return Response(UsageUploadSerializer(upload).data, status=code)


class WeeklyMetricsView(TenantScopedAPIView):
    @extend_schema(
        summary="Weekly adoption metrics",
        description="Per stakeholder and ISO week (`week` is its Monday), newest week first.",
        parameters=[
            OpenApiParameter("week", str, description="Only this week (its Monday, YYYY-MM-DD).")
        ],
        responses=WeeklyMetricSerializer(many=True),
        tags=["adoption"],
    )
    def get(self, request: Request, public_id) -> Response:
        engagement = _engagement(public_id)
        rows = (
            WeeklyMetric.objects.filter(engagement=engagement)
            .select_related("stakeholder")
            .order_by("-week", "stakeholder__email", "id")
        )
        week = request.query_params.get("week")
        if week:
            field = serializers.DateField()
            try:
                rows = rows.filter(week=field.to_internal_value(week))
            except serializers.ValidationError:
                return Response(
                    {"week": ["Give the week's Monday as YYYY-MM-DD."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        paginator = Page()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(WeeklyMetricSerializer(page, many=True).data)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "enablement.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A firm API key from the workspace's API keys page, sent as "
            "`Authorization: Api-Key wp_…`.",
        }
