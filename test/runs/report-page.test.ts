// `gpu-optimizer report --html` from a dynalite table, and the page in headless Chromium: no horizontal overflow, charts drawn.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CommandIo } from '../../lib/cli/command.ts';
import { runCli } from '../../lib/cli/main.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { launchChromium } from '../browser/chromium.ts';
import { describeWithService } from '../support/services.ts';
import { EXPECTED, seedWeek } from './report-seed.ts';

/** Runs in the page (the project's TypeScript has no DOM types, so it travels as text). */
const LAYOUT_PROBE = `(() => {
  const doc = document.documentElement;
  const report = document.getElementById('report').getBoundingClientRect();
  const charts = [...document.querySelectorAll('.chart')].map((c) => ({
    id: c.id,
    bars: [...c.querySelectorAll('.bar-fill')].filter((b) => b.getBoundingClientRect().width > 0).length,
    right: c.getBoundingClientRect().right,
  }));
  return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, reportWidth: report.width, reportRight: report.right, charts };
})()`;
interface Layout {
  scrollWidth: number;
  clientWidth: number;
  reportWidth: number;
  reportRight: number;
  charts: { id: string; bars: number; right: number }[];
}

let dir: string;
let pagePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpu-report-'));
  const { store, tableName } = await freshDynamoStore();
  await seedWeek(store);
  pagePath = join(dir, 'report.html');
  const out = { stdout: '', stderr: '' };
  const io: CommandIo = {
    stdout: (t) => (out.stdout += t),
    stderr: (t) => (out.stderr += t),
    interactive: false,
    env: {},
    cwd: dir,
  };
  const code = await runCli(
    [
      'report',
      '--html',
      'report.html',
      '--json',
      '--week',
      '2026-03-04T00:00:00Z',
      '--table',
      tableName,
      '--endpoint',
      inject('dynamoEndpoint'),
    ],
    io,
  );
  expect(out.stderr).toContain('wrote the report of the week of 2026-03-02');
  expect(code).toBe(0);
  expect(JSON.parse(out.stdout)).toMatchObject({
    totalSpendUsd: '37.500000',
    savingsDoneUsd: '8.000000',
    idleWasteUsd: '2.500000',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gpu-optimizer report --html', () => {
  it('writes the same report the e-mail carries, as a standalone page', async () => {
    const html = await readFile(pagePath, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const figure of Object.values(EXPECTED)) expect(html).toContain(figure);
  });

  it('refuses a command line that names nothing to write, with exit code 2', async () => {
    let stderr = '';
    const code = await runCli(['report', '--table', 't'], {
      stdout: () => {},
      stderr: (t) => (stderr += t),
      interactive: false,
      env: {},
      cwd: dir,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--html FILE');
  });
});

describeWithService('chromium', 'chromium', 'the report page in headless Chromium', () => {
  let browser: BrowserContext;
  beforeAll(async () => {
    // A fresh profile directory per run: nothing of an earlier run is reused.
    browser = await launchChromium(join(dir, 'chromium-profile'));
  });
  afterAll(async () => {
    await browser?.close();
  });

  // A phone, a mail client's reading pane, a desktop browser.
  for (const width of [375, 640, 1280]) {
    it(`lays out at ${width} px without horizontal overflow, every chart drawn`, async () => {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`file://${pagePath}`);
      const layout = await page.evaluate<Layout>(LAYOUT_PROBE);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
      expect(layout.reportWidth).toBeLessThanOrEqual(640);
      expect(layout.charts.map((c) => c.id)).toEqual([
        'spend-by-team',
        'spend-by-project',
        'savings-by-lever',
        'savings-trend',
        'idle-waste',
        'forecast',
      ]);
      for (const chart of layout.charts) {
        expect(chart.bars, chart.id).toBeGreaterThan(0);
        expect(chart.right).toBeLessThanOrEqual(layout.reportRight + 0.5);
      }
      const shot = join(dir, `report-${width}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(10_000);
      await page.close();
    });
  }
});
