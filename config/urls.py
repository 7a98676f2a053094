"""Screen URLs and the API. A view that moved between apps kept its URL (staff bookmark
screens): the approval queue stays under /flags/, the checks under /flags/check/ and
/flags/bulk/, 「この人を見た職員」 under /audit/."""
from django.urls import include, path

from victims import views as victims_views

from . import health, metrics, views

urlpatterns = [
    # Probes for the proxy and the orchestrator: no login, no data (ADR 0052).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # For the Prometheus scraper: no login, a bearer token; without it 404 (ADR 0065).
    path("metrics", metrics.metrics, name="metrics"),
    path("", views.home, name="home"),
    path("", include("accounts.urls")),
    path("targets/", include("victims.urls")),
    path("provisions/", include("victims.provision_urls")),
    path("dashboard/", include("victims.dashboard_urls")),
    path("flags/", include("checks.urls")),
    path("flags/", include("victims.approval_urls")),
    path("integration/", include("integration.urls")),
    path("audit/who-has-seen/", victims_views.who_has_seen, name="who_has_seen"),
    path("audit/notices-overdue/", victims_views.notices_overdue, name="notices_overdue"),
    path("audit/", include("audit.urls")),
    path("intermediary/", include("intermediary.urls")),
    path("api/v1/", include("config.api_urls")),
]

# Screens get the Japanese pages; anything under /api/ the API's one JSON error shape.
handler400 = "core.api_errors.bad_request"
handler403 = "core.api_errors.permission_denied"
handler404 = "core.api_errors.not_found"
handler500 = "core.api_errors.server_error"
