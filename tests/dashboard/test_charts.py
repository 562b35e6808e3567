"""The dashboard's server-side SVG charts: what an admin reads off them."""

from datetime import date, timedelta

from listings.templatetags.charts import PALETTE, line_chart


def test_line_chart_legend_names_each_line_in_its_own_colour_and_axes_show_the_range():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(31)]
    series = {"listing.created": [0] * 30 + [7], "review.changes_requested": [1] * 31}
    svg = str(line_chart(days, series))

    assert svg.count("<polyline") == 2
    assert f'stroke="{PALETTE[0]}"' in svg and f'stroke="{PALETTE[1]}"' in svg
    # Each legend key is a swatch filled with its line's colour, followed by a readable name.
    assert f'fill="{PALETTE[0]}"></rect><text x="52" y="215" class="chart-label">Created</text>' in svg
    assert f'fill="{PALETTE[1]}"></rect>' in svg and ">Changes requested</text>" in svg
    assert ">Nov 1</text>" in svg and ">Dec 1</text>" in svg  # the window's first and last day
    assert ">7</text>" in svg and ">0</text>" in svg  # the peak and the baseline
    assert 'aria-label="Line chart: Created, Changes requested"' in svg


def test_line_chart_escapes_series_names():
    svg = str(line_chart([date(2026, 1, 1)], {"x.<script>": [1]}))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
