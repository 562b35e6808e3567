"""Review comments and waivers over the API: the same services as the review pages, the same access rules
(another team's version or comment is a 404, a viewer's write a 403, waivers for reviewers only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from listings.api.views.base import ApiView, errors
from listings.models import CommentAnchor, ReviewComment, Waiver
from listings.review import services
from listings.review.presenters import thread_list
from listings.review.selectors import get_thread_for_user, waivers_of
from listings.review.services import MAX_COMMENT_CHARS
from listings.selectors import get_version_for_reviewer, get_version_for_user


# --------------------------------------------------------------------------------------------- serializers
class CommentSerializer(serializers.ModelSerializer):
    thread = serializers.UUIDField(source="parent_id", allow_null=True, help_text="Null for a thread's first comment.")
    version = serializers.SerializerMethodField()
    author = serializers.CharField(source="author_email", help_text="E-mail kept even if the user is deleted.")

    class Meta:
        model = ReviewComment
        fields = ["id", "thread", "version", "anchor_kind", "anchor", "area", "body", "author", "by_reviewer",
                  "created_at"]

    def get_version(self, comment) -> int | None:
        return comment.version.number if comment.version_id else None


class ThreadSerializer(CommentSerializer):
    replies = CommentSerializer(many=True, source="replies.all")
    resolved_by = serializers.CharField(source="resolved_by_email", allow_blank=True)

    class Meta(CommentSerializer.Meta):
        fields = [*CommentSerializer.Meta.fields, "resolved_at", "resolved_by", "replies"]


class CommentCreateSerializer(serializers.Serializer):
    anchor_kind = serializers.ChoiceField(choices=CommentAnchor.choices, default=CommentAnchor.GENERAL)
    anchor = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                   help_text="field: `product.title`; finding: `listing.W007@field:product."
                                             "short_description`; cell: `<notebook>#<index from 0>`; "
                                             "artifact: `<kind>/<name>`.")
    body = serializers.CharField(max_length=MAX_COMMENT_CHARS)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_COMMENT_CHARS)


class WaiverSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by_email")
    active = serializers.SerializerMethodField()

    class Meta:
        model = Waiver
        fields = ["id", "code", "location", "reason", "expires_at", "active", "version", "created_by", "created_at",
                  "revoked_at"]

    def get_version(self, waiver) -> int | None:
        return waiver.version.number if waiver.version_id else None

    def get_active(self, waiver) -> bool:
        return waiver.is_active()


class WaiverCreateSerializer(serializers.Serializer):
    finding = serializers.IntegerField(help_text="The id of a failed warning in this version's run "
                                                 "(`findings[].id` of the run).")
    reason = serializers.CharField(max_length=2000)
    expires_at = serializers.DateTimeField(help_text="At most a year ahead.")


# ------------------------------------------------------------------------------------------------- views
def _thread_body(listing) -> list[dict]:
    return ThreadSerializer([t.root for t in thread_list(listing)], many=True).data


class VersionCommentsView(ApiView):
    serializer_class = CommentCreateSerializer

    @extend_schema(summary="The listing's comment threads, open ones first",
                   description="For the listing's team and for reviewers.",
                   responses={200: ThreadSerializer(many=True), **errors(404)})
    def get(self, request, version_id):
        version = get_version_for_user(request.user, version_id)
        return Response(_thread_body(version.listing))

    @extend_schema(summary="Start a comment thread on a version",
                   description="Anchored to a field, a finding, a notebook cell, a file, or the whole version. "
                               "Reviewers and the team's owners and editors; viewers get 403.",
                   request=CommentCreateSerializer, responses={201: ThreadSerializer, **errors(400, 403, 404)})
    def post(self, request, version_id):
        version = get_version_for_user(request.user, version_id)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_add(listing=version.listing, version=version, actor=request.user,
                                       **data.validated_data)
        return Response(ThreadSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentRepliesView(ApiView):
    serializer_class = ReplySerializer

    @extend_schema(summary="Answer in a thread", request=ReplySerializer,
                   responses={201: CommentSerializer, **errors(400, 403, 404)})
    def post(self, request, comment_id):
        thread = get_thread_for_user(request.user, comment_id)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.comment_reply(thread=thread, actor=request.user, body=data.validated_data["body"])
        return Response(CommentSerializer(reply).data, status=status.HTTP_201_CREATED)


class CommentResolveView(ApiView):
    resolve = True

    @extend_schema(summary="Resolve a thread (or, at …/reopen/, open it again)", request=None,
                   responses={200: ThreadSerializer, **errors(403, 404)})
    def post(self, request, comment_id):
        thread = get_thread_for_user(request.user, comment_id)
        change = services.comment_resolve if self.resolve else services.comment_reopen
        return Response(ThreadSerializer(change(thread=thread, actor=request.user)).data)


class CommentReopenView(CommentResolveView):
    resolve = False


class VersionWaiversView(ApiView):
    serializer_class = WaiverCreateSerializer

    @extend_schema(summary="Waivers granted on the listing, newest first",
                   responses={200: WaiverSerializer(many=True), **errors(404)})
    def get(self, request, version_id):
        version = get_version_for_user(request.user, version_id)
        return Response(WaiverSerializer(waivers_of(version.listing), many=True).data)

    @extend_schema(summary="Waive a failed warning of a submitted version",
                   description="Reviewers outside the listing's team only (others get 404 or 403). Only failed "
                               "warnings can be waived; an error is something AWS rejects and is never waivable.",
                   request=WaiverCreateSerializer, responses={201: WaiverSerializer, **errors(400, 403, 404, 409)})
    def post(self, request, version_id):
        version = get_version_for_reviewer(request.user, version_id)
        data = WaiverCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        waiver = services.waiver_grant(version=version, finding_id=data.validated_data["finding"], actor=request.user,
                                       reason=data.validated_data["reason"],
                                       expires_at=data.validated_data["expires_at"])
        return Response(WaiverSerializer(waiver).data, status=status.HTTP_201_CREATED)
