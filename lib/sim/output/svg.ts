// Small SVG line and stacked-area charts that render in any browser without scripts, with an HTML legend that wraps.
import { escapeHtml as esc } from '../../format/html.ts';

export interface LineSeries {
  name: string;
  values: readonly number[];
  color: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Label for x = 0 and x = end. */
  xLabels?: [string, string];
  /** How a y value reads on the axis and at a line's end (default: 1.2k, 3.4M). */
  formatY?: (value: number) => string;
  /** Name each line at its right end with its last value, so lines close together are still told apart. */
  endLabels?: boolean;
}

/** Room on the right for end labels ("reactive-on-demand +123.4 %" at 11 px). */
const END_LABEL_MARGIN = 190;
/** End labels closer than this (px) are pushed apart. */
const END_LABEL_GAP = 15;
const LEFT = 60;
const TOP = 20;

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return Math.ceil(x / p) * p;
}

interface Scale {
  yMin: number;
  yMax: number;
  w: number;
  h: number;
  right: number;
}

const plotBottom = (s: Scale) => s.h - 40;
const yOf = (s: Scale, v: number) => TOP + (plotBottom(s) - TOP) * (1 - (v - s.yMin) / (s.yMax - s.yMin));

function xy(s: Scale, i: number, n: number, v: number): [number, number] {
  const x = LEFT + ((s.w - s.right - LEFT) * i) / Math.max(1, n - 1);
  return [x, yOf(s, v)];
}
const point = ([x, y]: [number, number]) => `${x.toFixed(1)},${y.toFixed(1)}`;

export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(a < 10 && a > 0 ? 1 : 0);
}

/**
 * The legend as HTML under the drawing: it wraps at any width, so no entry overlaps another or the plot,
 * however many series and however long their names.
 */
function legendHtml(legend: readonly { name: string; color: string; dashed?: boolean }[]): string {
  const items = legend
    .map(
      (l) =>
        `<li style="display:inline-flex;align-items:center;gap:6px;margin:0 14px 4px 0;white-space:nowrap"><span aria-hidden="true" style="display:inline-block;width:18px;height:0;border-top:3px ${l.dashed ? 'dashed' : 'solid'} ${l.color}"></span>${esc(l.name)}</li>`,
    )
    .join('');
  return `<ul class="legend" style="list-style:none;margin:4px 0 0;padding:0 0 0 ${LEFT}px;font-size:12px;display:flex;flex-wrap:wrap">${items}</ul>`;
}

function frame(
  o: ChartOptions,
  s: Scale,
  body: string,
  legend: readonly { name: string; color: string; dashed?: boolean }[],
): string {
  const fmt = o.formatY ?? formatTick;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = s.yMin + (s.yMax - s.yMin) * f;
    const y = yOf(s, v);
    return `<line x1="${LEFT}" x2="${s.w - s.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="${LEFT - 5}" y="${y + 4}" text-anchor="end" font-size="11" fill="#6b7280">${esc(fmt(v))}</text>`;
  });
  const xl = o.xLabels
    ? `<text x="${LEFT}" y="${s.h - 22}" font-size="11" fill="#6b7280">${esc(o.xLabels[0])}</text><text x="${s.w - s.right}" y="${s.h - 22}" font-size="11" text-anchor="end" fill="#6b7280">${esc(o.xLabels[1])}</text>`
    : '';
  return `<figure class="chart" style="margin:12px 0"><figcaption>${esc(o.title)}</figcaption><svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${s.w} ${s.h}" width="100%" role="img" aria-label="${esc(o.title)}"><text x="12" y="14" font-size="11" fill="#6b7280">${esc(o.yLabel)}</text>${ticks.join('')}${body}${xl}</svg>${legendHtml(legend)}</figure>`;
}

/** At most this many points per series: longer series are averaged down, so files stay small. */
export function downsample(values: readonly number[], max = 400): number[] {
  if (values.length <= max) return [...values];
  const bucket = values.length / max;
  return Array.from({ length: max }, (_, i) => {
    const from = Math.floor(i * bucket);
    const to = Math.max(from + 1, Math.floor((i + 1) * bucket));
    let sum = 0;
    for (let k = from; k < to; k++) sum += values[k]!;
    return sum / (to - from);
  });
}

/** Label heights for the ends of lines: in the order of the lines, each at least END_LABEL_GAP from the next. */
export function spreadLabels(ys: readonly number[], top: number, bottom: number): number[] {
  const order = ys.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const placed = order.map((o) => o.y);
  for (let k = 1; k < placed.length; k++) placed[k] = Math.max(placed[k]!, placed[k - 1]! + END_LABEL_GAP);
  // pushed below the plot: shift the whole stack up, keeping the gaps
  const overflow = (placed[placed.length - 1] ?? 0) - bottom;
  if (overflow > 0) for (let k = 0; k < placed.length; k++) placed[k] = placed[k]! - overflow;
  for (let k = 0; k < placed.length; k++) placed[k] = Math.max(placed[k]!, top + k * END_LABEL_GAP);
  const out = new Array<number>(ys.length);
  order.forEach((o, k) => (out[o.i] = placed[k]!));
  return out;
}

export function lineChart(series: readonly LineSeries[], o: ChartOptions): string {
  const data = series.map((s) => ({ ...s, values: downsample(s.values) }));
  const all = data.flatMap((s) => s.values);
  const low = Math.min(0, ...all);
  const s: Scale = {
    yMin: low < 0 ? -niceMax(-low) : 0,
    yMax: niceMax(Math.max(0, ...all)),
    w: o.width ?? 760,
    h: o.height ?? 260,
    right: o.endLabels ? END_LABEL_MARGIN : 10,
  };
  const body = data
    .map((d) => {
      const pts = d.values.map((v, i) => point(xy(s, i, d.values.length, v))).join(' ');
      return `<polyline fill="none" stroke="${d.color}" stroke-width="1.8"${d.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts}"/>`;
    })
    .join('');
  let labels = '';
  if (o.endLabels) {
    const ends = data.map((d) => d.values[d.values.length - 1] ?? 0);
    const ys = spreadLabels(
      ends.map((v) => yOf(s, v) + 4),
      TOP + 4,
      plotBottom(s) + 4,
    );
    const fmt = o.formatY ?? formatTick;
    labels = data
      .map(
        (d, i) =>
          `<text class="end-label" x="${s.w - s.right + 6}" y="${ys[i]!.toFixed(1)}" font-size="11" fill="${d.color}">${esc(`${d.name} ${fmt(ends[i]!)}`)}</text>`,
      )
      .join('');
  }
  return frame(o, s, body + labels, series);
}

export function stackedAreaChart(series: readonly LineSeries[], o: ChartOptions): string {
  const data = series.map((d) => downsample(d.values));
  const n = Math.max(0, ...data.map((d) => d.length));
  const tops = data.map((_, k) =>
    Array.from({ length: n }, (_, i) => data.slice(0, k + 1).reduce((a, d) => a + (d[i] ?? 0), 0)),
  );
  const s: Scale = {
    yMin: 0,
    yMax: niceMax(Math.max(0, ...(tops[tops.length - 1] ?? [0]))),
    w: o.width ?? 760,
    h: o.height ?? 260,
    right: 10,
  };
  const body = tops
    .map((top, k) => {
      const bottom = k === 0 ? new Array<number>(n).fill(0) : tops[k - 1]!;
      const upper = top.map((v, i) => point(xy(s, i, n, v)));
      const lower = bottom.map((v, i) => point(xy(s, i, n, v))).reverse();
      return `<polygon fill="${series[k]!.color}" fill-opacity="0.85" points="${[...upper, ...lower].join(' ')}"/>`;
    })
    .join('');
  return frame(o, s, body, series);
}
