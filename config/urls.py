from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from architecture import urls as architecture_urls
from diagnostics import urls as diagnostics_urls
from enablement import urls as enablement_urls
from launch import urls as launch_urls
from sprints import urls as sprints_urls

urlpatterns = [
    path("platform-admin/", admin.site.urls),
    path("", include("engagements.urls")),
    # Each phase app adds its workspace and portal pages under the same prefixes.
    path("workspace/", include(diagnostics_urls.workspace_patterns)),
    path("portal/", include(diagnostics_urls.portal_patterns)),
    path("workspace/", include(architecture_urls.workspace_patterns)),
    path("portal/", include(architecture_urls.portal_patterns)),
    path("workspace/", include(sprints_urls.workspace_patterns)),
    path("portal/", include(sprints_urls.portal_patterns)),
    path("workspace/", include(launch_urls.workspace_patterns)),
    path("portal/", include(launch_urls.portal_patterns)),
    path("workspace/", include(enablement_urls.workspace_patterns)),
    path("portal/", include(enablement_urls.portal_patterns)),
    # The REST API, its OpenAPI schema and its browsable documentation (served offline).
    path("api/v1/", include(enablement_urls.api_patterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
