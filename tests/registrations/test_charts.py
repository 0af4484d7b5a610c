"""Server-drawn SVG bar charts: a pattern per series, every bar labelled with its number, text escaped, mirrored
for right-to-left pages."""

from __future__ import annotations

import re

import pytest

from registrations.charts import Series, bar_chart

pytestmark = pytest.mark.engine_independent


def test_bars_scale_to_the_largest_value_and_carry_their_numbers():
    svg = str(bar_chart("demo", "By category", ["Youth", "Media"],
                        [Series("Registered", (4, 2)), Series("Attended", (2, 0))]))

    assert re.findall(r'<rect x="230" y="[\d.]+" width="([\d.]+)"', svg) == ["354.0", "177.0", "177.0", "0.0"]
    assert re.findall(r'fill="(url\(#chart-demo-hatch\)|currentColor)" stroke', svg) == [
        "currentColor", "url(#chart-demo-hatch)", "currentColor", "url(#chart-demo-hatch)",
        "currentColor", "url(#chart-demo-hatch)"]
    assert [t for t in re.findall(r">([^<>]+)</text>", svg)] == [
        "Registered", "Attended", "Youth", "4", "2", "Media", "2", "0"]
    assert 'role="img" aria-labelledby="chart-demo-title"' in svg
    assert " style=" not in svg


def test_labels_are_escaped_shortened_and_mirrored_right_to_left():
    svg = str(bar_chart("x", "<b>t</b>", ["<script>alert(1)</script> and a long tail of words"],
                        [Series("A", (10,))], rtl=True))

    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a…</text>" in svg  # 27 characters and an ellipsis
    assert "<title id=\"chart-x-title\">&lt;b&gt;t&lt;/b&gt;</title>" in svg
    # The bar grows leftwards from the label column on the right: its right edge at 640 - 230.
    (x, width) = re.search(r'<rect x="([\d.]+)" y="26" width="([\d.]+)"', svg).groups()
    assert float(x) + float(width) == 410.0
