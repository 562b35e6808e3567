"""Artifact upload and download routes (mounted under /listings/<uuid>/artifacts/)."""

urlpatterns: list = []
