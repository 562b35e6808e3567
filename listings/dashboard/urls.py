from django.urls import path

from listings.dashboard import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("operations/", views.operations_panel, name="dashboard-operations"),
    path("runs/<uuid:run_id>/retry/", views.run_retry, name="dashboard-run-retry"),
    path("runs/<uuid:run_id>/fail/", views.run_fail, name="dashboard-run-fail"),
]
