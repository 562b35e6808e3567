"""Long lists on pages come 50 rows at a time (Django's Paginator); ``templates/_pagination.html`` draws the
links, keeping the page's filters in the query string (``{% querystring %}``)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset, *, per_page: int = PAGE_SIZE, count: int | None = None) -> Page:
    """The page ``?page=`` asks for (the last one when past the end, the first when not a number).

    ``count``: the number of rows when the page already knows it (an aggregate it shows anyway), which
    spares the paginator its own ``COUNT(*)``."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is never computed
    page = paginator.get_page(request.GET.get("page"))
    # The numbered links: the first and last pages, two either side of this one, "…" between.
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page
