// Which quantile of the forecast the optimize decision holds: the first hour never under the p90 before its margin
// is calibrated, whatever the later hours are planned at.
import { describe, expect, it } from 'vitest';
import { decide, type ClassEvidence } from '../../lib/optimizer/decide.ts';
import { flatForecastAt, pool, quote, START_MS, workload } from './builders.ts';

const p4d = pool('p4d.24xlarge');
const prices = [quote(p4d.id, 'on-demand', '32.00'), quote(p4d.id, 'spot', '9.60')];
const team = workload('team-a', { minGpuMemoryGiB: 80 });
// A new deployment: a forecast, but no week of scored forecasts yet.
const fresh: ClassEvidence = {
  latest: flatForecastAt(team.id, START_MS, { point: 400, p90: 480, p99: 560 }),
  actual: [],
  pastForecasts: [],
};

async function plannedDemand(config: Parameters<typeof decide>[1]): Promise<number[]> {
  const decision = await decide(
    {
      startMs: START_MS,
      pools: [p4d],
      prices,
      classes: [team],
      evidence: new Map([[team.id, fresh]]),
      fleet: [],
    },
    { horizonHours: 24, ...config },
    { planId: 'p', createdAtMs: START_MS },
  );
  return decision.demand[team.id]!;
}

describe('the quantiles the optimize decision holds', () => {
  it('plans the hours after the first at the median by default, the first still at the p90 or above', async () => {
    const median = await plannedDemand({});
    expect(median).toHaveLength(24);
    expect(median.slice(1).every((gpus) => gpus === 400)).toBe(true);
    expect(median[0]).toBeGreaterThanOrEqual(480);
    expect(await plannedDemand({ quantile: 'p50' })).toEqual(median);
    expect((await plannedDemand({ hourAhead: { enabled: false } }))[0]).toBe(480);
  });

  it('plans every hour at the p90 when asked', async () => {
    const demand = await plannedDemand({ quantile: 'p90', hourAhead: { enabled: false } });
    expect(demand.every((gpus) => gpus === 480)).toBe(true);
  });

  it('plans every hour at the p99 when the owner asks for it', async () => {
    const p99 = await plannedDemand({ quantile: 'p99', hourAhead: { enabled: false } });
    expect(p99.every((gpus) => gpus === 560)).toBe(true);
  });
});
