"""The review workflow's routes (mounted at the site root by listings/urls.py)."""

from django.urls import path

from listings.views import notifications, review

urlpatterns = [
    path("review/", review.queue, name="review-queue"),
    path("review/<uuid:version_id>/", review.version_review, name="review-version"),
    path("review/<uuid:version_id>/approve/", review.approve, name="review-approve"),
    path("review/<uuid:version_id>/request-changes/", review.request_changes, name="review-request-changes"),
    path("review/<uuid:version_id>/claim/", review.claim, name="review-claim"),
    path("review/<uuid:version_id>/assign/", review.assign, name="review-assign"),
    path("review/<uuid:version_id>/sections/<slug:area>/approve/", review.section_approve,
         name="review-section-approve"),
    path("review/<uuid:version_id>/sections/<slug:area>/reopen/", review.section_reopen, name="review-section-reopen"),
    path("review/<uuid:version_id>/comments/", review.comment_add, name="review-comment-add"),
    path("review/<uuid:version_id>/waivers/", review.waiver_grant, name="review-waiver-grant"),
    path("waivers/<uuid:waiver_id>/revoke/", review.waiver_revoke, name="review-waiver-revoke"),
    path("comments/<uuid:comment_id>/reply/", review.comment_reply, name="comment-reply"),
    path("comments/<uuid:comment_id>/resolve/", review.comment_resolve, name="comment-resolve"),
    path("comments/<uuid:comment_id>/reopen/", review.comment_reopen, name="comment-reopen"),
    path("listings/<uuid:listing_id>/comments/", review.listing_comment_add, name="listing-comment-add"),
    path("listings/<uuid:listing_id>/compare/", review.listing_compare, name="listing-compare"),
    path("versions/<uuid:version_id>/files/<str:sha256>/", review.version_file, name="version-file"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path("notifications/<uuid:notification_id>/open/", notifications.notification_open, name="notification-open"),
]
