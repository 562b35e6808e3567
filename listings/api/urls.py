"""REST API routes, mounted at /api/ (marketplace_prep/urls.py). Version 1 lives under /api/v1/."""

from __future__ import annotations

from django.urls import include, path, re_path

from listings.api.exceptions import api_not_found
from listings.api.views import artifacts, bundles, catalog, docs, listings, review, validation, versions

app_name = "api"

v1 = [
    path("", catalog.RootView.as_view(), name="root"),
    path("teams/", catalog.TeamListView.as_view(), name="team-list"),
    path("rules/", catalog.RuleListView.as_view(), name="rule-list"),
    path("listings/", listings.ListingListView.as_view(), name="listing-list"),
    path("listings/<uuid:listing_id>/", listings.ListingDetailView.as_view(), name="listing-detail"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/", listings.SectionView.as_view(), name="listing-section"),
    path("listings/<uuid:listing_id>/validate/", validation.ValidateView.as_view(), name="listing-validate"),
    path("listings/<uuid:listing_id>/runs/", validation.ListingRunsView.as_view(), name="listing-runs"),
    path("listings/<uuid:listing_id>/submit/", versions.SubmitView.as_view(), name="listing-submit"),
    path("listings/<uuid:listing_id>/versions/", versions.ListingVersionsView.as_view(), name="listing-versions"),
    path("listings/<uuid:listing_id>/artifacts/", artifacts.ListingArtifactsView.as_view(), name="listing-artifacts"),
    path("listings/<uuid:listing_id>/uploads/", artifacts.ListingUploadsView.as_view(), name="listing-uploads"),
    path("artifacts/<uuid:artifact_id>/", artifacts.ArtifactDetailView.as_view(), name="artifact-detail"),
    path("artifacts/<uuid:artifact_id>/download/", artifacts.ArtifactDownloadView.as_view(), name="artifact-download"),
    path("uploads/<uuid:upload_id>/", artifacts.UploadDetailView.as_view(), name="upload-detail"),
    path("uploads/<uuid:upload_id>/complete/", artifacts.UploadCompleteView.as_view(), name="upload-complete"),
    path("runs/<uuid:run_id>/", validation.RunDetailView.as_view(), name="run-detail"),
    path("versions/<uuid:version_id>/", versions.VersionDetailView.as_view(), name="version-detail"),
    path("versions/<uuid:version_id>/approve/", versions.ApproveView.as_view(), name="version-approve"),
    path("versions/<uuid:version_id>/request-changes/", versions.RequestChangesView.as_view(),
         name="version-request-changes"),
    path("versions/<uuid:version_id>/export/", versions.ExportView.as_view(), name="version-export"),
    path("review/queue/", versions.ReviewQueueView.as_view(), name="review-queue"),
    path("versions/<uuid:version_id>/comments/", review.VersionCommentsView.as_view(), name="version-comments"),
    path("versions/<uuid:version_id>/waivers/", review.VersionWaiversView.as_view(), name="version-waivers"),
    path("comments/<uuid:comment_id>/replies/", review.CommentRepliesView.as_view(), name="comment-replies"),
    path("comments/<uuid:comment_id>/resolve/", review.CommentResolveView.as_view(), name="comment-resolve"),
    path("comments/<uuid:comment_id>/reopen/", review.CommentReopenView.as_view(), name="comment-reopen"),
    path("bundles/<uuid:bundle_id>/", bundles.BundleDetailView.as_view(), name="bundle-detail"),
    path("bundles/<uuid:bundle_id>/download/", bundles.BundleDownloadView.as_view(), name="bundle-download"),
]

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("v1/", include((v1, "v1"))),
    # Anything else under /api/ ending in a slash: the API's JSON 404, not the site's HTML page. (Addresses
    # without the slash are redirected to it by CommonMiddleware first, as everywhere on the site.)
    re_path(r"^.*/$", api_not_found),
]
