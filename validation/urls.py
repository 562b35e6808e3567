from django.urls import path

from validation import views

urlpatterns = [
    path("listings/<uuid:listing_id>/validate/", views.run_start, name="validation-start"),
    path("listings/<uuid:listing_id>/runs/<uuid:run_id>/", views.run_panel, name="validation-run"),
    path("rules/", views.rules_page, name="rules"),
]
