"""Who may do what. Team roles for sellers; the operator's reviewers and admins are staff-side."""

from __future__ import annotations

import uuid

from listings.models import EDITING_ROLES, Listing, Membership
from marketplace_prep.request_memo import in_request, memoized, remember

REVIEWERS_GROUP = "reviewers"


def is_reviewer(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_reviewer", None)
    if cached is None:
        if in_request():
            cached = user_facts(user)[0]  # with the top bar's unread count, in one query
        else:
            cached = user.groups.filter(name=REVIEWERS_GROUP).exists()
        user._is_reviewer = cached
    return cached


def user_facts(user) -> tuple[bool, int]:
    """What every page's top bar asks about the user: (in the reviewers group, unread notifications).
    One query, once per request (request_memo). Written as SQL: the ORM spends longer building this query
    than the database spends answering it, on every page."""
    return memoized(("user_facts", user.pk), lambda: _load_user_facts(user.pk))


def _load_user_facts(user_id) -> tuple[bool, int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection

    from listings.models import Notification

    q = connection.ops.quote_name
    through = get_user_model().groups.through._meta
    user_col = through.get_field(get_user_model()._meta.model_name).column
    group_col = through.get_field("group").column
    notification = Notification._meta
    sql = (
        f"SELECT EXISTS (SELECT 1 FROM {q(through.db_table)} ug JOIN {q(Group._meta.db_table)} g"
        f" ON g.{q(Group._meta.pk.column)} = ug.{q(group_col)} WHERE ug.{q(user_col)} = %s AND g.{q('name')} = %s),"
        f" (SELECT COUNT(*) FROM {q(notification.db_table)} WHERE {q(notification.get_field('recipient').column)} = %s"
        f" AND {q(notification.get_field('read_at').column)} IS NULL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, REVIEWERS_GROUP, user_id])
        in_reviewers, unread = cursor.fetchone()
    return bool(in_reviewers), int(unread)


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_staff)


def team_roles(user) -> dict:
    """``{team_id: role}`` for every team the user belongs to: one query per request (request_memo)."""
    if not user.is_authenticated:
        return {}
    return memoized(("team_roles", user.pk), lambda: dict(
        Membership.objects.filter(user=user).values_list("team_id", "role")))


def role_in_team(user, team_id) -> str | None:
    if not user.is_authenticated:
        return None
    if not isinstance(team_id, uuid.UUID):
        try:
            team_id = uuid.UUID(str(team_id))
        except ValueError:
            return None
    return memoized(("team_role", user.pk, team_id), lambda: team_roles(user).get(team_id))


def remember_role(user, team_id, role: str | None) -> None:
    """The user's role in one team, read by a query the page made anyway (``get_listing_for_user``): the
    rest of the request asks ``role_in_team`` without a query of its own."""
    remember(("team_role", user.pk, team_id), role)


def can_create_listings(user) -> bool:
    """An owner or editor of at least one team."""
    return any(role in EDITING_ROLES for role in team_roles(user).values())


def can_edit(user, listing: Listing) -> bool:
    return role_in_team(user, listing.team_id) in EDITING_ROLES


def can_review(user, listing: Listing) -> bool:
    """Reviewers decide on other teams' listings only: nobody approves their own team's work."""
    return is_reviewer(user) and role_in_team(user, listing.team_id) is None
