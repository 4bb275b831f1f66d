// The weekly report's forecast: the forecast run's default horizon reaches the whole coming week, and a shorter forecast is said to be shorter.
import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../lib/domain/forecast.ts';
import { HOUR_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { renderReportHtml } from '../../lib/notify/report/html.ts';
import { buildWeeklyReport } from '../../lib/notify/report/model.ts';
import { renderReportText } from '../../lib/notify/report/text.ts';
import { runForecast } from '../../lib/runs/forecast.ts';
import { composeReport } from '../../lib/runs/report.ts';
import { rollup, workloadClass } from '../forecasting/helpers.ts';

const MONDAY = Date.parse('2024-01-01T00:00:00Z');
const DAYS = 14;
const busy = (h: number) => 4 + Math.round(3 * Math.sin((h / 24) * 2 * Math.PI));

function forecastOf(hours: number, fromMs: number): Forecast {
  return {
    classId: 'vision',
    issuedAt: toRfc3339(fromMs - HOUR_MS),
    stepSeconds: 3600,
    model: 'seasonal-naive',
    scores: [],
    steps: Array.from({ length: hours }, (_, i) => ({
      at: toRfc3339(fromMs + i * HOUR_MS),
      point: 6,
      p50: 6,
      p90: 8,
      p99: 9,
    })),
  };
}

describe("the report's forecast of the coming week", () => {
  it("with the forecast run's default horizon, covers all seven days of the coming week", async () => {
    const store = createMemoryStore();
    await store.classes.put(workloadClass({ id: 'vision', team: 'vision' }));
    await store.rollups.put(
      Array.from({ length: DAYS * 24 }, (_, h) => rollup('n1', MONDAY + h * HOUR_MS, busy(h), 'vision')),
    );
    // The report runs early on Monday; the hourly forecast ran at the top of the hour.
    const clock = manualClock(MONDAY + DAYS * 24 * HOUR_MS + 10 * 60_000);
    const run = await runForecast({ store, events: createMemoryEventSink(), clock });
    expect(run.failed).toEqual([]);

    const { report, html, text } = await composeReport({ store, clock });
    expect(report.forecastWeek).toEqual({ start: '2024-01-15T00:00:00Z', end: '2024-01-22T00:00:00Z' });
    const [vision] = report.forecast;
    expect(vision!.coveredHours).toBe(168);
    expect(vision!.dailyP50Gpus.every((d) => d !== null)).toBe(true);
    expect(vision!.meanP50Gpus).toBeGreaterThan(2);
    expect(html).toContain('covers the whole week');
    expect(html).not.toContain('not forecast');
    expect(text).toContain('Demand forecast for the week of 2024-01-15 to 2024-01-22');
  });

  it('says how much of the week a 48-hour forecast covers, and leaves the other days blank, not zero', () => {
    const weekStartMs = Date.parse('2026-03-02T00:00:00Z');
    const next = weekStartMs + 7 * 24 * HOUR_MS;
    const report = buildWeeklyReport({
      weekStartMs,
      attribution: [],
      ledger: [],
      forecasts: [forecastOf(48, next)],
      plans: [],
    });
    const [f] = report.forecast;
    expect(f!.coveredHours).toBe(48);
    expect(f!.meanP50Gpus).toBe(6);
    expect(f!.dailyP50Gpus).toEqual([6, 6, null, null, null, null, null]);
    const html = renderReportHtml(report);
    expect(html).toContain('covers 48 of the week&#39;s 168 hours');
    expect(html).toContain('Mon 9 6.0 · Tue 10 6.0 · Wed 11 –');
    expect(renderReportText(report)).toContain('covers 48 of the week');
  });

  it('a forecast that ends before the week is "not forecast", never 0.0 GPUs', () => {
    const weekStartMs = Date.parse('2026-03-02T00:00:00Z');
    const report = buildWeeklyReport({
      weekStartMs,
      attribution: [],
      ledger: [],
      // issued during the report's week, 48 h long: it ends before the coming week starts
      forecasts: [forecastOf(48, weekStartMs + 24 * HOUR_MS)],
      plans: [],
    });
    expect(report.forecast[0]).toMatchObject({ coveredHours: 0, meanP50Gpus: null, peakP90Gpus: null });
    const html = renderReportHtml(report);
    expect(html).toContain('not forecast');
    expect(html).toContain('reaches none of this week');
    expect(html).not.toContain('0.0 GPUs');
  });
});
