from django.urls import include, path

from enlets.core import (
    api_audit,  # noqa: F401
    notifications,
)
from enlets.core import views as core_views
from enlets.core.api import api
from enlets.documents import api as documents_api  # noqa: F401
from enlets.network import api as network_api  # noqa: F401  (registers its routers on `api`)
from enlets.practices import api as practices_api  # noqa: F401
from enlets.search import api as search_api  # noqa: F401

urlpatterns = [
    path("", core_views.dashboard, name="dashboard"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("enlets.core.urls")),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
    path("network/", include("enlets.network.urls")),
    path("documents/", include("enlets.documents.urls")),
    path("search/", include("enlets.search.urls")),
    path("practices/", include("enlets.practices.urls")),
    path("api/v1/", api.urls),
]

handler404 = "enlets.core.views.not_found"
handler403 = "enlets.core.views.forbidden"
handler500 = "enlets.core.views.server_error"
