from django.urls import include, path

from listings.views import bundles, listings, sections

urlpatterns = [
    path("", listings.home, name="home"),
    path("listings/", listings.listing_list, name="listing-list"),
    path("listings/new/", listings.listing_create, name="listing-create"),
    path("listings/<uuid:listing_id>/", listings.listing_detail, name="listing-detail"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/", sections.section_edit, name="listing-section"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/check/", sections.section_check,
         name="listing-section-check"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/rows/", sections.section_add_row,
         name="listing-section-rows"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/draft/", sections.section_draft,
         name="listing-section-draft"),
    path("listings/<uuid:listing_id>/sections/<slug:name>/draft/discard/", sections.section_draft_discard,
         name="listing-section-draft-discard"),
    path("listings/<uuid:listing_id>/sections/hyperparameters/hyperparameters.json", sections.hyperparameters_export,
         name="listing-hyperparameters-export"),
    path("listings/<uuid:listing_id>/sections/hyperparameters/import/", sections.hyperparameters_import,
         name="listing-hyperparameters-import"),
    path("listings/<uuid:listing_id>/sections/training/try-metric/", sections.metric_try, name="listing-metric-try"),
    path("listings/<uuid:listing_id>/submit/", listings.listing_submit, name="listing-submit"),
    path("listings/<uuid:listing_id>/timeline/", listings.listing_timeline, name="listing-timeline"),
    path("listings/<uuid:listing_id>/artifacts/", include("listings.artifacts.urls")),
    path("versions/<uuid:version_id>/export/", bundles.export, name="version-export"),
    path("bundles/<uuid:bundle_id>/download/", bundles.download, name="bundle-download"),
    path("bundles/<uuid:bundle_id>/status/", bundles.status, name="bundle-status"),
    path("bundles/<uuid:bundle_id>/s3-copy/", bundles.s3_copy, name="bundle-s3-copy"),
    path("", include("listings.review.urls")),  # queue, review page, decisions, comments, waivers, notifications
]
