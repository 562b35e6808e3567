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


@register.simple_tag
def line_chart(days, series, *, width: int = 640, height: int = 180):
    """One line per series over the days, with a legend."""
    pad, legend = 24, 22
    peak = max((v for values in series.values() for v in values), default=0) or 1
    n = max(len(days) - 1, 1)
    plot_h = height - pad - legend
    lines = []
    for i, (name, values) in enumerate(series.items()):
        points = " ".join(f"{pad + (width - 2 * pad) * k / n:.1f},{pad + plot_h - plot_h * v / peak:.1f}"
                          for k, v in enumerate(values))
        lines.append((points, PALETTE[i % len(PALETTE)], pad + i * 160, height - 6, PALETTE[i % len(PALETTE)], name))
    body = format_html_join(
        "", '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>'
            '<text x="{}" y="{}" fill="{}" class="chart-label">■ {}</text>', lines)
    axis = format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#94a3b8"></line>'
                       '<text x="0" y="{}" class="chart-value">{}</text>',
                       pad, pad + plot_h, width - pad, pad + plot_h, pad + 4, peak)
    return format_html('<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" aria-label="line chart">{}{}</svg>',
                       width, height, axis, body)
