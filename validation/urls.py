from django.urls import path

from validation import views

urlpatterns = [
    path("listings/<uuid:listing_id>/validate/", views.run_start, name="validation-start"),
    path("listings/<uuid:listing_id>/runs/<uuid:run_id>/", views.run_panel, name="validation-run"),
    path("listings/<uuid:listing_id>/runs/<uuid:run_id>/reports/<int:report_id>/", views.run_report,
         name="validation-run-report"),
    path("rules/", views.rules_page, name="rules"),
]
