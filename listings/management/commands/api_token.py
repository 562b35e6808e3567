"""Print a user's API token, creating it on first use: ``python manage.py api_token <username> [--rotate]``.

The token goes in the ``Authorization: Token <key>`` header of REST API calls (a seller's CI keeps it as a
secret). ``--rotate`` replaces it, so a leaked token stops working at once. Only the key is printed, on its own
line, so a script can capture it: ``TOKEN=$(python manage.py api_token alice)``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print (creating if needed) the REST API token of a user; --rotate replaces it."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace the token: the old one stops working.")

    @transaction.atomic
    def handle(self, *args, username: str, rotate: bool = False, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username!r} is inactive; activate the user before giving them a token.")
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created and not rotate:
            self.stderr.write(f"Created a token for {username}.")
        elif rotate:
            self.stderr.write(f"Replaced the token of {username}; the old one no longer works.")
        self.stdout.write(token.key)
