"""Pagination for the API: ``?limit=&offset=`` with the page size capped.

Without a cap a client's ``?limit=`` goes straight into the SQL ``LIMIT``; a limit past PostgreSQL's bigint
(schemathesis sent ``limit=27068957024347363124409532416``) was a 500. A limit above ``max_limit`` is served as
``max_limit`` (DRF's behaviour for a cut-off), so a client that asks for "everything" gets pages it can follow.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    max_limit = 500
