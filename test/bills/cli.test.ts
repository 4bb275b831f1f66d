// `gpu-optimizer reconcile` on a bill export and an attribution CSV: the variance per day and account, as text and JSON.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributionCsv } from '../../lib/attribution/export.ts';
import type { CommandIo } from '../../lib/cli/command.ts';
import { reconcileCommand } from '../../lib/cli/commands/reconcile.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import { HOUR_MS } from '../../lib/domain/time.ts';
import { attributionRow, BILLING_DIR } from './fixtures.ts';

const DAY = Date.parse('2026-03-02T00:00:00Z');

function io(cwd: string) {
  const out: string[] = [];
  const value: CommandIo = { stdout: (t) => out.push(t), stderr: () => {}, interactive: false, env: {}, cwd };
  return { io: value, text: () => out.join('') };
}

describe('gpu-optimizer reconcile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-'));
  const rows = [10, 11, 12].flatMap((h) => [
    attributionRow('i-0a1b2c3d4e5f60001', DAY + h * HOUR_MS, parseUsd('32.7726')),
    attributionRow('i-0a1b2c3d4e5f60002', DAY + h * HOUR_MS, parseUsd('5.672')),
  ]);
  writeFileSync(join(dir, 'attribution.csv'), attributionCsv(rows));
  const flags = {
    bill: join(BILLING_DIR, 'written-from-spec__aws-data-exports-focus-1.0__gpu-savings-plan.csv'),
    attribution: 'attribution.csv',
    from: '2026-03-01T00:00:00Z',
    to: '2026-04-01T00:00:00Z',
    'threshold-pct': '5',
  };

  it('prints each day and account with the variance explained', async () => {
    const run = io(dir);
    expect(await reconcileCommand.run({ flags, positionals: [] }, run.io)).toBe(0);
    expect(run.text()).toContain(
      '2026-03-02  444455556666  OVER bill $82.18 vs attributed $115.33 (−$33.15, 40.33%): price differences −$32.44',
    );
  });

  it('writes exact money and the Budget Alert events as JSON', async () => {
    const run = io(dir);
    await reconcileCommand.run({ flags: { ...flags, json: true }, positionals: [] }, run.io);
    const out = JSON.parse(run.text());
    expect(out.reconciliation.days[0].varianceUsd).toBe('-33.150572');
    expect(out.alerts[0]).toMatchObject({
      detailType: 'Budget Alert',
      detail: { varianceUsd: '-33.150572' },
    });
  });

  it('refuses a missing bill as a usage error', async () => {
    await expect(
      reconcileCommand.run({ flags: { ...flags, bill: undefined }, positionals: [] }, io(dir).io),
    ).rejects.toThrow(/--bill/);
  });
});
