from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from listings.errors import ServiceError


def report_error(request: HttpRequest, exc: ServiceError) -> None:
    messages.error(request, str(exc))
