"""Charts drawn on the server as inline SVG: no script, no library, no CDN.

A street center's PC renders them as fast as text, and they print. Each
function returns ``Markup`` for a template; labels are escaped here.
"""
from __future__ import annotations

from markupsafe import Markup, escape

COLOURS = ("#1a56a6", "#1d7a36")  # the stylesheet's link and ok colours
ROW, LABEL_WIDTH, GAP = 26, 190, 6


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def paired_bars(rows: list[tuple[str, float, float]], legend: tuple[str, str], *,
                width: int = 720, title: str) -> Markup:
    """One row per item, two bars each (e.g. received and completed), scaled to the largest."""
    top = max([max(a, b) for _label, a, b in rows] + [1])
    span = width - LABEL_WIDTH - 70
    height = 24 + ROW * len(rows)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>"]
    for i, name in enumerate(legend):
        x = LABEL_WIDTH + i * 110
        parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLOURS[i]}"/>'
                     f'<text x="{x + 16}" y="15" font-size="12">{escape(name)}</text>')
    for i, (label, a, b) in enumerate(rows):
        y = 24 + i * ROW
        parts.append(f'<text x="{LABEL_WIDTH - GAP}" y="{y + 16}" font-size="12" '
                     f'text-anchor="end">{escape(label)}</text>')
        for j, value in enumerate((a, b)):
            length = span * value / top
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3 + j * 10}" width="{length:.1f}" '
                         f'height="9" fill="{COLOURS[j]}"><title>{escape(label)} '
                         f'{escape(legend[j])} {_number(value)}</title></rect>')
        parts.append(f'<text x="{LABEL_WIDTH + span * max(a, b) / top + GAP:.1f}" y="{y + 16}" '
                     f'font-size="11" fill="#666">{_number(a)} / {_number(b)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(items: list[tuple[str, float]], *, width: int = 420, height: int = 180,
            title: str, unit: str = "") -> Markup:
    """Vertical columns with their values on top (e.g. a distribution of working days)."""
    top = max([value for _label, value in items] + [1])
    inner = height - 42
    step = width / max(len(items), 1)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        bar = inner * value / top
        x = i * step + step * 0.2
        y = 18 + inner - bar
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" height="{bar:.1f}" '
                     f'fill="{COLOURS[0]}"/>'
                     f'<text x="{x + step * 0.3:.1f}" y="{y - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{_number(value)}{escape(unit)}</text>'
                     f'<text x="{x + step * 0.3:.1f}" y="{height - 6}" font-size="12" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
