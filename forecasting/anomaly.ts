// Demand anomalies: actual demand outside a forecast's p99 band for each of the last N hours.
import { makeEvent, type DomainEvent } from '../lib/domain/events.ts';
import type { DemandPoint, Forecast } from '../lib/domain/forecast.ts';
import { parseRfc3339, toRfc3339 } from '../lib/domain/time.ts';

export interface AnomalyFinding {
  classId: string;
  atMs: number;
  direction: 'above' | 'below';
  actualGpus: number;
  expectedGpus: number;
  p99Gpus: number;
  windowHours: number;
}

/**
 * The p99 band is [max(0, 2·p50 − p99), p99]: the forecast carries upper quantiles only, so the lower edge
 * mirrors the upper one around the median. An anomaly needs every one of the last `windowHours` actual steps
 * outside the band on the same side: one odd hour is noise, a run of them is news.
 */
export function findAnomaly(
  forecast: Forecast,
  actuals: readonly DemandPoint[],
  windowHours: number,
): AnomalyFinding | undefined {
  const byTime = new Map(forecast.steps.map((s) => [parseRfc3339(s.at), s]));
  const recent = actuals
    .filter((a) => byTime.has(a.atMs))
    .sort((a, b) => a.atMs - b.atMs)
    .slice(-windowHours);
  const stepHours = forecast.stepSeconds / 3600;
  if (recent.length === 0 || recent.length * stepHours < windowHours) return undefined;
  const sides = recent.map((a) => {
    const s = byTime.get(a.atMs)!;
    if (a.gpus > s.p99) return 'above';
    if (a.gpus < Math.max(0, 2 * s.p50 - s.p99)) return 'below';
    return 'inside';
  });
  const side = sides[0]!;
  if (side === 'inside' || sides.some((s) => s !== side)) return undefined;
  const last = recent[recent.length - 1]!;
  const step = byTime.get(last.atMs)!;
  return {
    classId: forecast.classId,
    atMs: last.atMs,
    direction: side,
    actualGpus: last.gpus,
    expectedGpus: step.point,
    p99Gpus: step.p99,
    windowHours,
  };
}

/** The `Demand Anomaly` event of a finding, with the model and scores of the forecast it broke. */
export function anomalyEvent(finding: AnomalyFinding, forecast: Forecast): DomainEvent {
  return makeEvent('Demand Anomaly', {
    schemaVersion: '1',
    classId: finding.classId,
    at: toRfc3339(finding.atMs),
    direction: finding.direction,
    actualGpus: finding.actualGpus,
    expectedGpus: finding.expectedGpus,
    p99Gpus: finding.p99Gpus,
    windowHours: finding.windowHours,
    model: forecast.model,
    scores: forecast.scores,
  });
}
