// The weekly e-mail and the simulation report in headless Chromium at a phone's, a mail pane's and a desktop's width: nothing overflows, no legend overlaps.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../support/services.ts';
import { launchChromium } from './chromium.ts';
import { emailHtml, simulationHtml } from './layout-fixtures.ts';

/** Where the screenshots go: GPU_OPTIMIZER_SCREENSHOTS to keep them, else a temporary directory. */
const SHOTS_DIR = process.env.GPU_OPTIMIZER_SCREENSHOTS;

/**
 * Measures in the page (the project's TypeScript has no DOM types, so it travels as text): the page's and each
 * box's overflow, and the rectangles of legends, their entries and the plots.
 */
const PROBE = `(() => {
  const rect = (e) => { const r = e.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const doc = document.documentElement;
  const boxes = [...document.querySelectorAll('.kpi, table, .table-wrap, td, th, figure, .legend')].filter(visible).map((e) => ({
    what: e.className ? e.tagName.toLowerCase() + '.' + String(e.className).split(' ')[0] : e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''),
    text: (e.textContent || '').slice(0, 40),
    scrollWidth: e.scrollWidth,
    clientWidth: e.clientWidth,
    right: e.getBoundingClientRect().right,
  }));
  const charts = [...document.querySelectorAll('figure.chart')].map((f) => ({
    plot: rect(f.querySelector('svg.plot')),
    legend: rect(f.querySelector('.legend')),
    entries: [...f.querySelectorAll('.legend li')].map(rect),
    endLabels: [...f.querySelectorAll('text.end-label')].map(rect),
  }));
  const tiles = [...document.querySelectorAll('.kpi')].map(rect);
  return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, viewport: window.innerWidth, boxes, charts, tiles };
})()`;

interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}
interface Layout {
  scrollWidth: number;
  clientWidth: number;
  viewport: number;
  boxes: { what: string; text: string; scrollWidth: number; clientWidth: number; right: number }[];
  charts: { plot: Rect; legend: Rect; entries: Rect[]; endLabels: Rect[] }[];
  tiles: Rect[];
}

/** Rectangles that share area (touching edges do not count; half a pixel of rounding is allowed). */
const overlap = (a: Rect, b: Rect) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
  Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;

function pairsOverlapping(rects: readonly Rect[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) if (overlap(rects[i]!, rects[j]!)) pairs.push([i, j]);
  return pairs;
}

const WIDTHS = [375, 640, 1280];
let dir: string;
const pages: Record<string, string> = {};

beforeAll(async () => {
  dir = SHOTS_DIR ?? (await mkdtemp(join(tmpdir(), 'gpu-layout-')));
  pages.email = join(dir, 'email.html');
  pages.simulation = join(dir, 'report.html');
  await writeFile(pages.email, emailHtml());
  await writeFile(pages.simulation, simulationHtml());
});
afterAll(async () => {
  if (!SHOTS_DIR) await rm(dir, { recursive: true, force: true });
});

describeWithService('chromium', 'chromium', 'report and e-mail layouts in headless Chromium', () => {
  let browser: BrowserContext;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function layoutOf(name: string, width: number): Promise<Layout> {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`file://${pages[name]}`);
    const layout = await page.evaluate<Layout>(PROBE);
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    await page.close();
    return layout;
  }

  function expectNoOverflow(layout: Layout): void {
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
    const overflowing = layout.boxes.filter(
      (b) => b.scrollWidth > b.clientWidth + 1 || b.right > layout.viewport + 0.5,
    );
    expect(overflowing).toEqual([]);
  }

  for (const width of WIDTHS) {
    it(`the e-mail at ${width} px: three tiles and every table inside their boxes`, async () => {
      const layout = await layoutOf('email', width);
      expectNoOverflow(layout);
      expect(layout.tiles).toHaveLength(3);
      expect(pairsOverlapping(layout.tiles)).toEqual([]);
      // side by side where the column is wide, stacked on a phone
      const rows = new Set(layout.tiles.map((t) => Math.round(t.top)));
      expect(rows.size).toBe(width >= 640 ? 1 : 3);
    });

    it(`the simulation report at ${width} px: no column behind a scroll, legends clear of plots and of each other`, async () => {
      const layout = await layoutOf('simulation', width);
      expectNoOverflow(layout);
      expect(layout.charts.length).toBeGreaterThanOrEqual(3);
      for (const chart of layout.charts) {
        expect(chart.entries.length).toBeGreaterThan(1);
        expect(pairsOverlapping(chart.entries)).toEqual([]);
        expect(overlap(chart.legend, chart.plot)).toBe(false);
        for (const entry of chart.entries) expect(overlap(entry, chart.plot)).toBe(false);
        expect(pairsOverlapping(chart.endLabels)).toEqual([]);
      }
    });
  }
});
