"""Charts drawn on the server as inline SVG (issue 12, ADR 0057): no chart script, no CDN, nothing
for the CSP to allow. Pure functions: numbers in, a `Chart` out, which a template renders as

    <svg role="img" aria-labelledby="<id>-title <id>-desc"> <title>…</title> <desc>…</desc> …

followed by the same numbers as a data table (`Chart.table`): a screen reader, a printout or a
clerk who would rather read gets every value the picture shows. Colours come from a fixed
palette of dark tones (≥ 3:1 against white, WCAG 1.4.11), every series is named in a legend
in words and its values are written on or beside the marks, so no value is told by colour alone.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0031D8", "#C74700", "#197A4B", "#6F23D0", "#595959", "#A3007D")
THRESHOLD_COLOUR = "#EC0000"
FONT = 'font-family="inherit" font-size="12"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None: no value (a gap in a line)


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str  # e.g. 「反映の期限（5分）」: drawn as a dashed line with this text


@dataclass
class Chart:
    chart_id: str
    title: str
    description: str
    svg: SafeString
    categories: list[str]
    series: list[Series]
    unit: str
    threshold: Threshold | None = None
    table_headers: list[str] = field(default_factory=list)

    @property
    def table(self) -> list[list[str]]:
        """Rows of the data table: the category, then each series' value (with the unit)."""
        return [[category, *[_fmt(s.values[i], self.unit) for s in self.series]]
                for i, category in enumerate(self.categories)]

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values if v)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{number}{unit}"


def _nice_max(value: float) -> float:
    """A round top for the axis (1, 2, 2.5, 5 × 10^n) at or above `value`."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _axis(values: Sequence[float], *, integer: bool) -> tuple[float, list[float]]:
    """The axis top and its ticks. Counts (`integer`) get whole-number ticks only: no 「1.2件」."""
    top = _nice_max(max(values, default=0))
    if integer:
        top = max(top, 4.0)
        if top == 2.5 * 10 ** math.floor(math.log10(top)):
            top *= 2
        count = next(c for c in (4, 5, 2, 1) if float(top / c).is_integer())
    else:
        count = 4
    return top, [top * i / count for i in range(count + 1)]


def _text(x: float, y: float, text: str, *, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(text)}</text>'


def _head(chart_id: str, title: str, description: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" id="{chart_id}" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>')


def _legend(series: Sequence[Series], x: float, y: float, extra: Sequence[tuple[str, str]] = ()) -> str:
    parts, cx = [], x
    for i, s in enumerate(series):
        parts.append(f'<rect x="{cx:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(_text(cx + 16, y, s.name))
        cx += 28 + 13 * len(s.name)
    for colour, label in extra:
        parts.append(f'<line x1="{cx:.1f}" y1="{y - 4:.1f}" x2="{cx + 18:.1f}" y2="{y - 4:.1f}" stroke="{colour}" '
                     f'stroke-width="2" stroke-dasharray="5 3"/>')
        parts.append(_text(cx + 22, y, label))
        cx += 34 + 13 * len(label)
    return "".join(parts)


def _chart(chart_id: str, title: str, description: str, body: str, width: int, height: int, *,
           categories: Sequence[str], series: Sequence[Series], unit: str, headers: Sequence[str],
           threshold: Threshold | None = None) -> Chart:
    svg = mark_safe(_head(chart_id, title, description, width, height) + body + "</svg>")  # noqa: S308 - every text escaped
    return Chart(chart_id=chart_id, title=title, description=description, svg=svg, categories=list(categories),
                 series=list(series), unit=unit, threshold=threshold, table_headers=list(headers))


def stacked_bars(chart_id: str, *, title: str, description: str, categories: Sequence[str],
                 series: Sequence[Series], unit: str = "件", category_header: str = "区分") -> Chart:
    """Horizontal bars, one per category, each split into the series (e.g. case type × status),
    the total written at the end of the bar and each segment's value inside it when it fits."""
    # Room for the longest label (Japanese at 12 px is about 12.5 px a character), within reason.
    label_w = int(min(380, max(80, 12.5 * max((len(c) for c in categories), default=4) + 16)))
    bar_h, gap, top_pad, width = 26, 14, 34, 800
    plot_w = width - label_w - 70
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    top, ticks = _axis(totals, integer=True)
    height = top_pad + len(categories) * (bar_h + gap) + 40
    parts = [_legend(series, label_w, 16)]
    axis_y = top_pad + len(categories) * (bar_h + gap)
    for tick in ticks:
        x = label_w + plot_w * tick / top
        parts.append(f'<line x1="{x:.1f}" y1="{top_pad - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#D8D8DB"/>')
        parts.append(_text(x, axis_y + 16, _fmt(tick, ""), anchor="middle"))
    for i, category in enumerate(categories):
        y = top_pad + i * (bar_h + gap)
        parts.append(_text(label_w - 8, y + bar_h * 0.68, category, anchor="end"))
        x = float(label_w)
        for j, s in enumerate(series):
            value = s.values[i] or 0
            w = plot_w * value / top
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                             f'fill="{PALETTE[j % len(PALETTE)]}"/>')
                if w >= 24:
                    parts.append(_text(x + w / 2, y + bar_h * 0.68, _fmt(value, ""), anchor="middle",
                                       extra='fill="#FFFFFF"'))
            x += w
        parts.append(_text(x + 6, y + bar_h * 0.68, _fmt(totals[i], unit)))
    return _chart(chart_id, title, description, "".join(parts), width, height, categories=categories,
                  series=series, unit=unit, headers=[category_header, *[s.name for s in series]])


def grouped_columns(chart_id: str, *, title: str, description: str, categories: Sequence[str],
                    series: Sequence[Series], unit: str = "件", category_header: str = "月",
                    axis_labels: Sequence[str] | None = None) -> Chart:
    """Vertical columns side by side per category (e.g. sets and releases per month), each
    column's value written above it. `axis_labels`: shorter names under the columns (「12月」)
    where the table keeps the full category (「2026年12月」)."""
    width, height, left, bottom, top_pad = 760, 300, 44, 46, 34
    plot_w, plot_h = width - left - 10, height - top_pad - bottom
    top, ticks = _axis([v or 0 for s in series for v in s.values], integer=True)
    slot = plot_w / max(len(categories), 1)
    col_w = min(22.0, slot * 0.8 / max(len(series), 1))
    parts = [_legend(series, left, 16)]
    base = top_pad + plot_h
    for tick in ticks:
        y = base - plot_h * tick / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#D8D8DB"/>')
        parts.append(_text(left - 6, y + 4, _fmt(tick, ""), anchor="end"))
    for i, category in enumerate(categories):
        x0 = left + i * slot + (slot - col_w * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i] or 0
            h = plot_h * value / top
            x = x0 + j * col_w
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{col_w - 2:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}"/>')
            if value:
                parts.append(_text(x + col_w / 2 - 1, base - h - 3, _fmt(value, ""), anchor="middle",
                                   extra='font-size="10"'))
        label = axis_labels[i] if axis_labels else category
        parts.append(_text(left + i * slot + slot / 2, base + 16, label, anchor="middle", extra='font-size="11"'))
    return _chart(chart_id, title, description, "".join(parts), width, height, categories=categories,
                  series=series, unit=unit, headers=[category_header, *[s.name for s in series]])


def line_with_threshold(chart_id: str, *, title: str, description: str, categories: Sequence[str],
                        series: Sequence[Series], threshold: Threshold, unit: str,
                        category_header: str = "日") -> Chart:
    """Lines over the categories (e.g. the longest delivery lag per day) with a dashed line at
    the threshold (the reflection deadline of the window rule); a gap where a day has no value."""
    width, height, left, bottom, top_pad = 760, 300, 56, 46, 34
    plot_w, plot_h = width - left - 16, height - top_pad - bottom
    top, ticks = _axis([max([threshold.value, *(v or 0 for s in series for v in s.values)]) * 1.1], integer=False)
    step = plot_w / max(len(categories) - 1, 1)
    base = top_pad + plot_h
    parts = [_legend(series, left, 16, extra=[(THRESHOLD_COLOUR, threshold.label)])]
    for tick in ticks:
        y = base - plot_h * tick / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 16}" y2="{y:.1f}" stroke="#D8D8DB"/>')
        parts.append(_text(left - 6, y + 4, _fmt(tick, unit), anchor="end"))
    label_every = max(1, math.ceil(len(categories) / 10))
    for i, category in enumerate(categories):
        if i % label_every == 0 or i == len(categories) - 1:
            parts.append(_text(left + i * step, base + 16, category, anchor="middle", extra='font-size="11"'))
    ty = base - plot_h * threshold.value / top
    parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - 16}" y2="{ty:.1f}" stroke="{THRESHOLD_COLOUR}" '
                 f'stroke-width="2" stroke-dasharray="6 4"/>')
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            point = (left + i * step, base - plot_h * value / top)
            runs[-1].append(point)
            marker = "circle" if value <= threshold.value else "rect"  # over the line: a square, not only red
            if marker == "circle":
                parts.append(f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3.5" fill="{colour}"/>')
            else:
                parts.append(f'<rect x="{point[0] - 4:.1f}" y="{point[1] - 4:.1f}" width="8" height="8" '
                             f'fill="{THRESHOLD_COLOUR}"/>')
        for run in runs:
            if len(run) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return _chart(chart_id, title, description, "".join(parts), width, height, categories=categories,
                  series=series, unit=unit, threshold=threshold,
                  headers=[category_header, *[s.name for s in series]])
