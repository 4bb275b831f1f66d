import { describe, expect, it } from 'vitest';
import { ledgerEntry, weeklySavings } from '../../lib/attribution/ledger.ts';
import { avoidedCostUsd } from '../../lib/domain/ledger.ts';
import { formatUsd, parseUsd } from '../../lib/domain/money.ts';

const MON = Date.parse('2026-03-02T00:00:00Z');
const H = 3_600_000;

describe('savings ledger', () => {
  it('prices every lever by one rule: cost over the period without the action less cost with it', () => {
    const entry = ledgerEntry({
      lever: 'spot-move',
      target: 'pool-a',
      reason: 'on-demand to spot',
      mode: 'enforce',
      status: 'done',
      atMs: MON + 10 * H,
      periodStartMs: MON + 10 * H,
      periodEndMs: MON + 12 * H,
      counterfactualUsdPerHour: parseUsd('32.77'),
      actualUsdPerHour: parseUsd('9.83'),
    });
    expect(entry).toMatchObject({
      entryId: 'spot-move:pool-a:2026-03-02T10:00:00Z',
      periodStart: '2026-03-02T10:00:00Z',
      periodEnd: '2026-03-02T12:00:00Z',
    });
    expect(formatUsd(avoidedCostUsd(entry))).toBe('45.880000');
  });

  it('sums per ISO week and lever, done apart from recommended, failed counting nothing', () => {
    const base = {
      target: 'n',
      reason: 'r',
      mode: 'enforce' as const,
      counterfactualUsdPerHour: parseUsd('10'),
      actualUsdPerHour: 0n,
    };
    const at = (ms: number, lever: 'reclaim' | 'commitment', status: 'done' | 'recommended' | 'failed') =>
      ledgerEntry({ ...base, lever, status, atMs: ms, periodStartMs: ms, periodEndMs: ms + H });
    const weeks = weeklySavings([
      at(MON + H, 'reclaim', 'done'),
      at(MON + 50 * H, 'reclaim', 'done'),
      at(MON + 51 * H, 'reclaim', 'recommended'),
      at(MON + 52 * H, 'reclaim', 'failed'),
      at(MON + 2 * H, 'commitment', 'done'),
      at(MON + 7 * 24 * H, 'reclaim', 'done'),
    ]);
    expect(
      weeks.map((w) => [w.weekStart, w.lever, formatUsd(w.doneUsd), formatUsd(w.recommendedUsd), w.entries]),
    ).toEqual([
      ['2026-03-02T00:00:00Z', 'commitment', '10.000000', '0.000000', 1],
      ['2026-03-02T00:00:00Z', 'reclaim', '20.000000', '10.000000', 4],
      ['2026-03-09T00:00:00Z', 'reclaim', '10.000000', '0.000000', 1],
    ]);
  });
});
