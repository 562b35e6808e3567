"""Who may do what. Team roles for sellers; the operator's reviewers and admins are staff-side."""

from __future__ import annotations

from listings.models import EDITING_ROLES, Listing, Membership

REVIEWERS_GROUP = "reviewers"


def is_reviewer(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_reviewer", None)
    if cached is None:
        cached = user.groups.filter(name=REVIEWERS_GROUP).exists()
        user._is_reviewer = cached
    return cached


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_staff)


def role_in_team(user, team_id) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


def can_edit(user, listing: Listing) -> bool:
    return role_in_team(user, listing.team_id) in EDITING_ROLES


def can_review(user, listing: Listing) -> bool:
    """Reviewers decide on other teams' listings only: nobody approves their own team's work."""
    return is_reviewer(user) and role_in_team(user, listing.team_id) is None
