from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from listings.views.auth import RateLimitedLoginView


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("accounts/login/", RateLimitedLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("listings.api.urls")),
    path("dashboard/", include("listings.dashboard.urls")),
    path("", include("listings.urls")),
    path("", include("validation.urls")),
]

handler400 = "marketplace_prep.errors.bad_request"
