"""Demo data for `make run`: a seller team (owner, editor, viewer), a reviewer, an admin and one listing.

Passwords are random and printed once, when the users are created. Run again: nothing changes.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from listings import services
from listings.models import Membership, Role, Team
from listings.permissions import REVIEWERS_GROUP

PEOPLE = [
    # username, e-mail, role on the seller team (or None), reviewer, admin
    ("olivia", "olivia@acme-ml.example", Role.OWNER, False, False),
    ("eddie", "eddie@acme-ml.example", Role.EDITOR, False, False),
    ("vera", "vera@acme-ml.example", Role.VIEWER, False, False),
    ("rita", "rita@operator.example", None, True, False),
    ("admin", "admin@operator.example", None, True, True),
]


class Command(BaseCommand):
    help = "Create demo users, a seller team and a demo listing (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--reset-passwords", action="store_true", help="Give the demo users new passwords.")

    @transaction.atomic
    def handle(self, *args, reset_passwords: bool = False, **options):
        User = get_user_model()
        team, _ = Team.objects.get_or_create(name="Acme ML")
        reviewers, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
        printed = []
        for username, email, role, reviewer, admin in PEOPLE:
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            if created or reset_passwords:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.is_staff = user.is_superuser = admin
                user.save()
                printed.append((username, password, role or ("admin" if admin else "reviewer")))
            if role:
                Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
            if reviewer:
                user.groups.add(reviewers)
        if not team.listings.exists():
            services.listing_create(
                team=team, actor=User.objects.get(username="olivia"), kind="model_package",
                title="Acme Sentiment Classifier",
                short_description="Classifies English product reviews as positive, negative or neutral.",
            )
        if printed:
            self.stdout.write(self.style.SUCCESS("Demo users (passwords shown once; `make reset-passwords` for new ones):"))
            for username, password, role in printed:
                self.stdout.write(f"  {username:<8} {password}   ({role})")
        else:
            self.stdout.write("Demo data already present (passwords were printed when the users were created).")
