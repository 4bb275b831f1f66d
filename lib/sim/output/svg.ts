// Small SVG line and stacked-area charts that render in any browser or mail client without scripts.

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
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return Math.ceil(x / p) * p;
}

function frame(
  o: ChartOptions,
  yMax: number,
  body: string,
  legend: readonly { name: string; color: string }[],
): string {
  const w = o.width ?? 760;
  const h = o.height ?? 260;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = 20 + (h - 60) * (1 - f);
    return `<line x1="60" x2="${w - 10}" y1="${y}" y2="${y}" stroke="#e5e7eb"/><text x="55" y="${y + 4}" text-anchor="end" font-size="11" fill="#6b7280">${esc(formatTick(yMax * f))}</text>`;
  });
  // Every series gets a legend entry, however many there are: the spacing shrinks to fit the width.
  const step = Math.min(150, (w - 70) / Math.max(1, legend.length));
  const legendItems = legend
    .map(
      (l, i) =>
        `<rect x="${60 + i * step}" y="${h - 18}" width="12" height="12" fill="${l.color}"/><text x="${76 + i * step}" y="${h - 8}" font-size="11" fill="#111827">${esc(l.name)}</text>`,
    )
    .join('');
  const xl = o.xLabels
    ? `<text x="60" y="${h - 26}" font-size="11" fill="#6b7280">${esc(o.xLabels[0])}</text><text x="${w - 10}" y="${h - 26}" font-size="11" text-anchor="end" fill="#6b7280">${esc(o.xLabels[1])}</text>`
    : '';
  return `<figure class="chart"><figcaption>${esc(o.title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(o.title)}"><text x="12" y="14" font-size="11" fill="#6b7280">${esc(o.yLabel)}</text>${ticks.join('')}${body}${xl}${legendItems}</svg></figure>`;
}

function formatTick(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(v < 10 && v > 0 ? 1 : 0);
}

function xy(i: number, n: number, v: number, yMax: number, w: number, h: number): string {
  const x = 60 + ((w - 70) * i) / Math.max(1, n - 1);
  const y = 20 + (h - 60) * (1 - v / yMax);
  return `${x.toFixed(1)},${y.toFixed(1)}`;
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

export function lineChart(series: readonly LineSeries[], o: ChartOptions): string {
  const w = o.width ?? 760;
  const h = o.height ?? 260;
  const data = series.map((s) => ({ ...s, values: downsample(s.values) }));
  const yMax = niceMax(Math.max(0, ...data.flatMap((s) => s.values)));
  const body = data
    .map((s) => {
      const pts = s.values.map((v, i) => xy(i, s.values.length, v, yMax, w, h)).join(' ');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts}"/>`;
    })
    .join('');
  return frame(o, yMax, body, series);
}

export function stackedAreaChart(series: readonly LineSeries[], o: ChartOptions): string {
  const w = o.width ?? 760;
  const h = o.height ?? 260;
  const data = series.map((s) => downsample(s.values));
  const n = Math.max(0, ...data.map((d) => d.length));
  const tops = data.map((_, k) =>
    Array.from({ length: n }, (_, i) => data.slice(0, k + 1).reduce((a, d) => a + (d[i] ?? 0), 0)),
  );
  const yMax = niceMax(Math.max(0, ...(tops[tops.length - 1] ?? [0])));
  const body = tops
    .map((top, k) => {
      const bottom = k === 0 ? new Array<number>(n).fill(0) : tops[k - 1]!;
      const upper = top.map((v, i) => xy(i, n, v, yMax, w, h));
      const lower = bottom.map((v, i) => xy(i, n, v, yMax, w, h)).reverse();
      return `<polygon fill="${series[k]!.color}" fill-opacity="0.85" points="${[...upper, ...lower].join(' ')}"/>`;
    })
    .join('');
  return frame(o, yMax, body, series);
}

export { esc as escapeHtml };
