"""Server-side SVG charts: no chart library, nothing to download, readable without JavaScript."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2")


@register.simple_tag
def bar_chart(bars, *, width: int = 420, row: int = 26, label_width: int = 150):
    """Horizontal bars with their values; each label can link (e.g. to the filtered list)."""
    peak = max((b.value for b in bars), default=0) or 1
    span = width - label_width - 50
    rows = []
    for i, bar in enumerate(bars):
        y = i * row
        length = round(span * bar.value / peak)
        rows.append((y + 17, bar.label, label_width, y + 5, max(length, 1 if bar.value else 0),
                     PALETTE[i % len(PALETTE)], label_width + length + 6, y + 17, bar.value))
    body = format_html_join(
        "", '<text x="0" y="{}" class="chart-label">{}</text><rect x="{}" y="{}" width="{}" height="16" rx="3" '
            'fill="{}"></rect><text x="{}" y="{}" class="chart-value">{}</text>', rows)
    height = max(len(bars) * row, row)
    return format_html('<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" height="{}" '
                       'aria-label="bar chart">{}</svg>', width, height, height, body)


def _series_label(name: str) -> str:
    """``review.changes_requested`` → ``Changes requested``: event types read as words in a legend."""
    return name.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@register.simple_tag
def line_chart(days, series, *, width: int = 960, height: int = 220):
    """One line per series over the days, a legend with each line's colour, the first and last day on the x
    axis and the peak on the y axis. The view box is about as wide as the card, so text keeps its size."""
    left, right, top, bottom, legend = 36, 12, 12, 22, 26
    peak = max((v for values in series.values() for v in values), default=0) or 1
    n = max(len(days) - 1, 1)
    plot_w, plot_h = width - left - right, height - top - bottom - legend
    base = top + plot_h
    lines, keys, x = [], [], left
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{left + plot_w * k / n:.1f},{base - plot_h * v / peak:.1f}" for k, v in enumerate(values))
        lines.append((points, colour))
        label = _series_label(name)
        keys.append((x, height - 14, colour, x + 16, height - 5, label))
        x += 16 + 8 * len(label) + 24
    body = format_html_join("", '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>', lines)
    legend_svg = format_html_join("", '<rect x="{}" y="{}" width="11" height="11" rx="2" fill="{}"></rect>'
                                      '<text x="{}" y="{}" class="chart-label">{}</text>', keys)
    first, last = (f"{days[0]:%b %-d}", f"{days[-1]:%b %-d}") if days else ("", "")
    axes = format_html(
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#94a3b8"></line>'
        '<line x1="{l}" y1="{t}" x2="{r}" y2="{t}" stroke="#e2e8f0" stroke-dasharray="4 4"></line>'
        '<text x="{lx}" y="{ty}" class="chart-value" text-anchor="end">{peak}</text>'
        '<text x="{lx}" y="{by}" class="chart-value" text-anchor="end">0</text>'
        '<text x="{l}" y="{dy}" class="chart-value">{first}</text>'
        '<text x="{r}" y="{dy}" class="chart-value" text-anchor="end">{last}</text>',
        l=left, r=width - right, t=top, b=base, lx=left - 6, ty=top + 4, by=base + 4, dy=base + 16,
        peak=peak, first=first, last=last)
    return format_html('<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" aria-label="{}">{}{}{}</svg>',
                       width, height, "Line chart: " + ", ".join(_series_label(k) for k in series), axes, body,
                       legend_svg)
