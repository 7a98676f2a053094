from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("targets/", include("victims.urls")),
    path("flags/bulk/", include("flags.bulk_urls")),
    path("flags/", include("flags.urls")),
    path("integration/", include("integration.urls")),
    path("audit/", include("audit.urls")),
    path("intermediary/", include("intermediary.urls")),
    path("api/v1/", include("config.api_urls")),
]

# Screens get the 404 page; anything under /api/ the API's one JSON error shape.
handler404 = "config.api_errors.not_found"
