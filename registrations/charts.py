"""Bar charts drawn on the server as SVG, readable without colour: each series has its own pattern (solid, hatched,
dotted), every bar carries its number, and the page puts the same figures in a table beside the chart.

No script and no style attribute (strict CSP): geometry and paint are SVG presentation attributes, the paint is
``currentColor``. Right-to-left pages get the chart mirrored (labels on the right, bars growing leftwards).
"""

from __future__ import annotations

__all__ = ["Series", "bar_chart"]

from dataclasses import dataclass

from markupsafe import Markup, escape

from server.i18n import format_number

WIDTH = 640
LABEL_WIDTH = 230
NUMBER_WIDTH = 56
BAR_HEIGHT = 14
GROUP_GAP = 10
LEGEND_HEIGHT = 26
MAX_LABEL = 28
#: Fills, in series order: solid, diagonal hatching, dots.
PATTERNS = ("solid", "hatch", "dots")


@dataclass(frozen=True)
class Series:
    """One measure drawn for every label (``registered``…), named in the legend."""

    name: str
    values: tuple[int, ...]


def _pattern_defs(prefix: str) -> str:
    return (
        f'<defs><pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="none"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="currentColor" stroke-width="3"/></pattern>'
        f'<pattern id="{prefix}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<circle cx="2.5" cy="2.5" r="1.4" fill="currentColor"/></pattern></defs>'
    )


def _fill(prefix: str, index: int) -> str:
    pattern = PATTERNS[index % len(PATTERNS)]
    return "currentColor" if pattern == "solid" else f"url(#{prefix}-{pattern})"


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _x(x: float, width: float, rtl: bool) -> float:
    """The left edge of a box at ``x`` (from the start side) of ``width``, mirrored for right-to-left."""
    return WIDTH - x - width if rtl else x


def bar_chart(prefix: str, title: str, labels: list[str], series: list[Series], *, rtl: bool = False) -> Markup:
    """Grouped horizontal bars: one group per label, one bar per series; ``prefix`` keeps ids unique on a page."""
    prefix = "chart-" + "".join(c for c in prefix if c.isalnum() or c == "-")
    top = max(1, *(v for s in series for v in s.values)) if labels else 1
    scale = (WIDTH - LABEL_WIDTH - NUMBER_WIDTH) / top
    group_height = len(series) * BAR_HEIGHT + GROUP_GAP
    height = LEGEND_HEIGHT + max(len(labels), 1) * group_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{prefix}-title" direction="ltr" font-size="12" fill="currentColor">',
        f'<title id="{prefix}-title">{escape(title)}</title>',
        _pattern_defs(prefix),
    ]
    for index, item in enumerate(series):  # legend: a swatch and the series' name
        x = index * 160
        parts.append(f'<rect x="{_x(x, 14, rtl)}" y="4" width="14" height="14" fill="{_fill(prefix, index)}" '
                     f'stroke="currentColor"/>')
        anchor = "end" if rtl else "start"
        parts.append(f'<text x="{_x(x + 20, 0, rtl)}" y="15" text-anchor="{anchor}">{escape(item.name)}</text>')
    for row, text in enumerate(labels):
        y = LEGEND_HEIGHT + row * group_height
        anchor = "start" if rtl else "end"
        parts.append(f'<text x="{_x(LABEL_WIDTH - 6, 0, rtl)}" y="{y + group_height / 2}" text-anchor="{anchor}" '
                     f'dominant-baseline="middle">{escape(_short(text))}</text>')
        for index, item in enumerate(series):
            value = item.values[row]
            width = round(value * scale, 1)
            bar_y = y + index * BAR_HEIGHT
            parts.append(f'<rect x="{_x(LABEL_WIDTH, width, rtl)}" y="{bar_y}" width="{width}" '
                         f'height="{BAR_HEIGHT - 2}" fill="{_fill(prefix, index)}" stroke="currentColor"/>')
            parts.append(
                f'<text x="{_x(LABEL_WIDTH + width + 4, 0, rtl)}" y="{bar_y + BAR_HEIGHT - 4}" '
                f'text-anchor="{"end" if rtl else "start"}">{escape(format_number(value))}</text>'
            )
    parts.append("</svg>")
    # Every piece of text in ``parts`` went through escape(); the rest is markup built here from numbers.
    return Markup("".join(parts))  # noqa: S704
