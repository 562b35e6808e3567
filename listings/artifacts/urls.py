"""Artifact upload and download routes (mounted under /listings/<uuid>/artifacts/)."""

from django.urls import path

from listings.artifacts import views

urlpatterns = [
    path("", views.artifact_page, name="artifact-list"),
    path("panel/", views.panel, name="artifact-panel"),
    path("upload/", views.upload_form, name="artifact-upload"),
    path("uploads/", views.upload_start, name="artifact-upload-start"),
    path("uploads/<uuid:upload_id>/", views.upload_session, name="artifact-upload-session"),
    path("uploads/<uuid:upload_id>/complete/", views.upload_complete, name="artifact-upload-complete"),
    path("<uuid:artifact_id>/download/", views.download, name="artifact-download"),
    path("<uuid:artifact_id>/remove/", views.remove, name="artifact-remove"),
]
