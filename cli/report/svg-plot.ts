/**
 * Line plots as inline SVG strings, drawn by hand: linear or log axes with "nice" ticks, grid,
 * axis labels, a legend, optional ± bands (error bars for lone points) and point markers. Non-finite
 * points (and non-positive ones on a log axis) break the line instead of breaking the plot.
 */
import type { Plot, Series } from '../../experiments/types.js';
import { escapeHtml, safeId } from './escape.js';

export interface SvgPlotOptions {
  /** Width of the drawing in user units; the SVG itself scales to its container's width. */
  width?: number;
  height?: number;
  /** Draw point markers for series with at most this many points (default 40). */
  maxMarkers?: number;
  /** Prefix for element ids (clip paths), unique within the page. */
  idPrefix?: string;
}

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];
/** Dash pattern of reference series (numbers not from this run), unless the palette already gave one. */
const REFERENCE_DASH = '5 4';
const MARKER_RADIUS = 2.6;
const HOLLOW_MARKER_STROKE = 1.3;
/** How far outside the frame the clip path reaches: a marker centred on the frame's edge is drawn whole. */
const CLIP_PAD = MARKER_RADIUS + HOLLOW_MARKER_STROKE;
/** Half-width of the caps of a lone point's error bar. */
const ERROR_BAR_CAP = 4;

/** Stroke colour and dash pattern of series i: references are dashed, ours solid for the first 10. */
function seriesStyle(s: Series, i: number): { color: string; dash: string } {
  const color = PALETTE[i % PALETTE.length];
  const dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
  return { color, dash: s.reference === true && dash === '' ? REFERENCE_DASH : dash };
}

/** A point marker: filled for our series, hollow (white inside) for references. */
function marker(cx: string, cy: string, color: string, hollow: boolean): string {
  return hollow
    ? `<circle cx="${cx}" cy="${cy}" r="${MARKER_RADIUS}" fill="#fff" stroke="${color}" ` +
        `stroke-width="${HOLLOW_MARKER_STROKE}"/>`
    : `<circle cx="${cx}" cy="${cy}" r="${MARKER_RADIUS}" fill="${color}"/>`;
}

// ---- scales and ticks --------------------------------------------------------------------------

export interface Axis {
  log: boolean;
  /** Domain [lo, hi] in data units (lo < hi; both > 0 on a log axis). */
  lo: number;
  hi: number;
  ticks: number[];
}

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) giving about `count` intervals over `span`. */
export function niceStep(span: number, count = 5): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return m * mag;
}

/** Round away float noise (0.30000000000000004 → 0.3). */
function clean(v: number): number {
  return Number(v.toPrecision(12));
}

/** Linear axis: extends [min, max] to multiples of a nice step. */
export function linearAxis(min: number, max: number, count = 5): Axis {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return linearAxis(0, 1, count);
  if (min === max) {
    const d = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= d;
    max += d;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = lo + i * step;
    if (t > hi + step * 1e-6 || i > 1000) break;
    ticks.push(clean(t));
  }
  return { log: false, lo: clean(lo), hi: clean(hi), ticks };
}

/**
 * Log axis over [min, max] padded by a few percent: ticks on whole decades when the data spans
 * several (every k-th decade if many), else on 1-2-5 (or 1..9) multiples inside the range; plus a
 * tick at each end of the data (3 significant digits) when no tick is near it, so that the smallest
 * values (often below the lowest decade) and the last x (e.g. the largest N) are labelled.
 */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0 && max > 0 && Number.isFinite(min) && Number.isFinite(max))) return logAxis(1, 10);
  const axis = logAxisInnerTicks(min, max);
  return { ...axis, ticks: withDataEnds(axis, min, max) };
}

/** The axis ticks plus min and max (rounded) where they are far enough from every tick not to collide. */
function withDataEnds(axis: Axis, min: number, max: number): number[] {
  const span = Math.log10(axis.hi / axis.lo);
  // At least a tenth of the axis (and 0.15 decade) from any other tick, so that labels do not overlap.
  const gap = Math.max(0.15, span / 10);
  const ticks = axis.ticks.slice();
  for (const v of [min, max]) {
    const t = Number(v.toPrecision(3));
    if (!(t >= axis.lo && t <= axis.hi)) continue;
    if (ticks.every((u) => Math.abs(Math.log10(t / u)) >= gap)) ticks.push(t);
  }
  return ticks.sort((a, b) => a - b);
}

function logAxisInnerTicks(min: number, max: number): Axis {
  if (min === max) {
    min /= Math.SQRT2;
    max *= Math.SQRT2;
  }
  const pad = (max / min) ** 0.03;
  const lo = min / pad;
  const hi = max * pad;
  const d0 = Math.floor(Math.log10(lo));
  const d1 = Math.ceil(Math.log10(hi));
  const inside = (ms: number[], every = 1): number[] => {
    const ticks: number[] = [];
    for (let d = d0; d <= d1; d += every)
      for (const m of ms) {
        const t = clean(m * 10 ** d);
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
      }
    return ticks;
  };
  const decades = inside([1], Math.max(1, Math.ceil((d1 - d0) / 8)));
  if (decades.length >= 3) return { log: true, lo, hi, ticks: decades };
  for (const ms of [
    [1, 2, 5],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]) {
    const ticks = inside(ms);
    if (ticks.length >= 3) return { log: true, lo, hi, ticks };
  }
  const lin = linearAxis(lo, hi, 4).ticks.filter((t) => t >= lo && t <= hi && t > 0);
  return { log: true, lo, hi, ticks: lin };
}

/** Tick label: "0", "0.25", "1500", "1e-4", "2e6". */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return expForm(v);
  return String(clean(v));
}

function expForm(v: number): string {
  const [m, e] = v.toExponential().split('e');
  return `${String(clean(Number(m)))}e${e.replace('+', '')}`;
}

/** Labels for a set of ticks in one consistent style (all plain or all exponent form). */
export function formatTicks(ticks: readonly number[]): string[] {
  const big = ticks.some((t) => t !== 0 && (Math.abs(t) >= 1e5 || Math.abs(t) < 1e-3));
  return ticks.map((t) => (t === 0 ? '0' : big ? expForm(t) : formatTick(t)));
}

// ---- rendering -----------------------------------------------------------------------------

interface Pt {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

function validValue(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

/** The series' points split into runs of valid points. */
function segments(s: Series, xLog?: boolean, yLog?: boolean): Pt[][] {
  const out: Pt[][] = [];
  let cur: Pt[] = [];
  const n = Math.min(s.x.length, s.y.length);
  for (let i = 0; i < n; i++) {
    const x = s.x[i];
    const y = s.y[i];
    if (validValue(x, xLog) && validValue(y, yLog)) {
      const b = s.band?.[i];
      const p: Pt = { x, y };
      if (b !== undefined && Number.isFinite(b)) {
        p.lo = y - Math.abs(b);
        p.hi = y + Math.abs(b);
      }
      cur.push(p);
    } else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Keep at most ~2·buckets points: the first, min, max and last of each bucket, in order. */
function decimate(pts: Pt[], buckets: number): Pt[] {
  if (pts.length <= 2 * buckets) return pts;
  const out: Pt[] = [];
  const size = pts.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const i0 = Math.floor(b * size);
    const i1 = Math.min(pts.length, Math.floor((b + 1) * size));
    let iMin = i0;
    let iMax = i0;
    for (let i = i0; i < i1; i++) {
      if (pts[i].y < pts[iMin].y) iMin = i;
      if (pts[i].y > pts[iMax].y) iMax = i;
    }
    const keep = [...new Set([i0, iMin, iMax, i1 - 1])].sort((a, c) => a - c);
    for (const i of keep) out.push(pts[i]);
  }
  return out;
}

function f2(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** Render one plot as an `<svg>` element (no XML prolog; meant to be inlined in HTML). */
export function renderSvgPlot(plot: Plot, options: SvgPlotOptions = {}): string {
  // About the width of the report's column at 1280 px, so that text is drawn near its nominal size.
  const W = options.width ?? 1000;
  const plotH = options.height ?? 360;
  const maxMarkers = options.maxMarkers ?? 40;
  const idp = `${options.idPrefix ?? 'plot'}-${safeId(plot.id)}`;
  const series = plot.series;
  const segs = series.map((s) => segments(s, plot.xLog, plot.yLog).map((seg) => decimate(seg, 600)));

  // Domain over all valid points (and band ends that are valid on the axis).
  let xMin = Infinity,
    xMax = -Infinity,
    yMin = Infinity,
    yMax = -Infinity;
  for (const ss of segs)
    for (const seg of ss)
      for (const p of seg) {
        xMin = Math.min(xMin, p.x);
        xMax = Math.max(xMax, p.x);
        for (const y of [p.y, p.lo, p.hi]) {
          if (y !== undefined && validValue(y, plot.yLog)) {
            yMin = Math.min(yMin, y);
            yMax = Math.max(yMax, y);
          }
        }
      }
  const empty = !(xMin <= xMax);
  const xa = plot.xLog ? logAxis(xMin, xMax) : linearAxis(xMin, xMax, 6);
  const ya = plot.yLog ? logAxis(yMin, yMax) : linearAxis(yMin, yMax, 5);

  // Layout.
  const yTickLabels = formatTicks(ya.ticks);
  const xTickLabels = formatTicks(xa.ticks);
  const left = 28 + 7 * Math.max(3, ...yTickLabels.map((t) => t.length));
  const right = 18;
  const top = 14;
  const x0 = left,
    x1 = W - right,
    y0 = top,
    y1 = top + plotH - 62;
  const legendItems = series.map((s, i) => ({ name: s.name, i, w: 34 + 7 * s.name.length }));
  const legendRows: (typeof legendItems)[] = [];
  let row: typeof legendItems = [];
  let used = 0;
  for (const it of legendItems) {
    if (row.length > 0 && used + it.w > x1 - x0) {
      legendRows.push(row);
      row = [];
      used = 0;
    }
    row.push(it);
    used += it.w + 14;
  }
  if (row.length > 0) legendRows.push(row);
  const H = plotH + 20 * legendRows.length;

  const sx = (v: number): number => {
    const t = xa.log
      ? (Math.log10(v) - Math.log10(xa.lo)) / (Math.log10(xa.hi) - Math.log10(xa.lo))
      : (v - xa.lo) / (xa.hi - xa.lo);
    return x0 + t * (x1 - x0);
  };
  const sy = (v: number): number => {
    if (ya.log && !(v > 0)) return y1 + 1000; // clipped
    const t = ya.log
      ? (Math.log10(v) - Math.log10(ya.lo)) / (Math.log10(ya.hi) - Math.log10(ya.lo))
      : (v - ya.lo) / (ya.hi - ya.lo);
    return y1 - t * (y1 - y0);
  };

  const out: string[] = [];
  out.push(
    `<svg class="plot" width="100%" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMinYMin meet" role="img" ` +
      `aria-labelledby="${idp}-title" data-plot-id="${escapeHtml(plot.id)}">`,
  );
  out.push(`<title id="${idp}-title">${escapeHtml(plot.title)}</title>`);
  out.push(
    `<defs><clipPath id="${idp}-clip"><rect x="${f2(x0 - CLIP_PAD)}" y="${f2(y0 - CLIP_PAD)}" ` +
      `width="${f2(x1 - x0 + 2 * CLIP_PAD)}" height="${f2(y1 - y0 + 2 * CLIP_PAD)}"/></clipPath></defs>`,
  );
  out.push(
    `<rect class="frame" x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="#fff" stroke="#999"/>`,
  );

  // Grid and ticks.
  const grid: string[] = [];
  const labels: string[] = [];
  xa.ticks.forEach((t, i) => {
    const x = f2(sx(t));
    grid.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}"/>`);
    labels.push(`<text x="${x}" y="${y1 + 16}" text-anchor="middle">${escapeHtml(xTickLabels[i])}</text>`);
  });
  ya.ticks.forEach((t, i) => {
    const y = f2(sy(t));
    grid.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/>`);
    labels.push(`<text x="${x0 - 6}" y="${y}" dy="0.32em" text-anchor="end">${escapeHtml(yTickLabels[i])}</text>`);
  });
  out.push(`<g class="grid" stroke="#e4e4e4" stroke-width="1">${grid.join('')}</g>`);
  out.push(`<g class="ticks" font-size="11" fill="#333">${labels.join('')}</g>`);

  // Axis labels.
  const xl = escapeHtml(plot.xLabel + (plot.xLog ? ' (log scale)' : ''));
  const yl = escapeHtml(plot.yLabel + (plot.yLog ? ' (log scale)' : ''));
  out.push(
    `<text class="xlabel" x="${f2((x0 + x1) / 2)}" y="${y1 + 36}" text-anchor="middle" ` +
      `font-size="12">${xl}</text>`,
  );
  out.push(
    `<text class="ylabel" transform="translate(14 ${f2((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" ` +
      `font-size="12">${yl}</text>`,
  );

  // Bands, then lines, then markers, clipped to the frame (padded so that edge markers show whole).
  // References are drawn first, so that our own series lie on top of them.
  const order = series.map((_s, i) => i).sort((a, b) => Number(!series[a].reference) - Number(!series[b].reference));
  const body: string[] = [];
  series.forEach((_s, i) => {
    const color = PALETTE[i % PALETTE.length];
    for (const seg of segs[i]) {
      const banded = seg.filter((p) => p.lo !== undefined);
      if (banded.length >= 2 && banded.length === seg.length) {
        const lo = (p: Pt): number => (ya.log && !(p.lo! > 0) ? ya.lo : p.lo!);
        const upper = seg.map((p) => `${f2(sx(p.x))},${f2(sy(p.hi!))}`);
        const lower = seg
          .slice()
          .reverse()
          .map((p) => `${f2(sx(p.x))},${f2(sy(lo(p)))}`);
        body.push(
          `<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${color}" ` +
            'fill-opacity="0.18" stroke="none"/>',
        );
      } else if (seg.length === 1 && seg[0].lo !== undefined) {
        // A lone point has no band to fill: its ± is drawn as a vertical error bar with caps.
        const p = seg[0];
        const [x, xl, xr] = [sx(p.x), sx(p.x) - ERROR_BAR_CAP, sx(p.x) + ERROR_BAR_CAP].map(f2);
        const lo = f2(sy(ya.log && !(p.lo! > 0) ? ya.lo : p.lo!));
        const hi = f2(sy(p.hi!));
        body.push(
          `<path class="errorbar" d="M${x},${lo}V${hi}M${xl},${lo}H${xr}M${xl},${hi}H${xr}" stroke="${color}" ` +
            'stroke-width="1.3" fill="none"/>',
        );
      }
    }
  });
  for (const i of order) {
    const s = series[i];
    const { color, dash } = seriesStyle(s, i);
    const hollow = s.reference === true;
    const d = segs[i]
      .map((seg) => seg.map((p, j) => `${j === 0 ? 'M' : 'L'}${f2(sx(p.x))},${f2(sy(p.y))}`).join(''))
      .join('');
    body.push(
      `<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" fill="none" stroke="${color}" ` +
        `stroke-width="${hollow ? 1.5 : 1.8}"${dash ? ` stroke-dasharray="${dash}"` : ''} stroke-linejoin="round"/>`,
    );
    const count = segs[i].reduce((a, seg) => a + seg.length, 0);
    const lone = segs[i].some((seg) => seg.length === 1);
    // Markers for short series (not for two-point reference lines) and for isolated points.
    const marked = count <= maxMarkers && count !== 2;
    if (marked || lone) {
      const pts = segs[i].filter((seg) => marked || seg.length === 1).flat();
      const circles = pts.map((p) => marker(f2(sx(p.x)), f2(sy(p.y)), color, hollow)).join('');
      body.push(`<g class="markers${hollow ? ' hollow' : ''}">${circles}</g>`);
    }
  }
  out.push(`<g clip-path="url(#${idp}-clip)">${body.join('')}</g>`);
  if (empty)
    out.push(
      `<text x="${f2((x0 + x1) / 2)}" y="${f2((y0 + y1) / 2)}" text-anchor="middle" fill="#999">no ` +
        'finite data</text>',
    );

  // Legend rows under the x label.
  const legend: string[] = [];
  legendRows.forEach((r, ri) => {
    let x = x0;
    const y = y1 + 56 + 20 * ri;
    for (const it of r) {
      const { color, dash } = seriesStyle(series[it.i], it.i);
      legend.push(
        `<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${color}" ` +
          `stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      );
      if (series[it.i].reference === true) legend.push(marker(String(x + 12), String(y - 4), color, true));
      legend.push(`<text x="${x + 30}" y="${y}" font-size="12">${escapeHtml(it.name)}</text>`);
      x += it.w + 14;
    }
  });
  out.push(`<g class="legend">${legend.join('')}</g>`);
  out.push('</svg>');
  return out.join('\n');
}
