// The weekly report shows attribution against the imported bill when a bill covers the week, and nothing otherwise.
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../lib/memory/clock.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { composeReport } from '../../lib/runs/report.ts';
import { FOCUS_BILL_DAY, importFocusBill, seedListPriceAttribution } from './fixtures.ts';

/** A Monday: the bill's one day starts the report's week. */
const DAY = FOCUS_BILL_DAY;
const LINE =
  '2026-03-02  444455556666  OVER bill $82.18 vs attributed $115.33 (−$33.15, 40.33%): price differences −$32.44';

async function weekWithAttribution() {
  const store = createMemoryStore();
  // Hours 10–12 of the bill's day, and one on Wednesday, which the bill (one day) does not reach.
  await seedListPriceAttribution(store, [10, 11, 12, 58]);
  return store;
}

describe('the weekly report with a bill', () => {
  it('explains each billed day and account, and leaves out days the bill has not reached', async () => {
    const store = await weekWithAttribution();
    await importFocusBill(store);
    const rendered = await composeReport(
      { store, clock: fixedClock(DAY + 8 * 86_400_000) },
      { weekOfMs: DAY },
    );
    expect(rendered.report.reconciliation?.days.map((d) => [d.day, d.accountId])).toEqual([
      ['2026-03-02', '444455556666'],
    ]);
    expect(rendered.text).toContain(`Attributed cost against the bill, per day and account\n  ${LINE}`);
    expect(rendered.html).toContain('id="reconciliation"');
    expect(rendered.html).toContain('OVER bill $82.18 vs attributed $115.33 (−$33.15, 40.33%)');
  });

  it('has no bill section when no bill was imported for the week', async () => {
    const rendered = await composeReport(
      { store: await weekWithAttribution(), clock: fixedClock(DAY + 8 * 86_400_000) },
      { weekOfMs: DAY },
    );
    expect(rendered.report.reconciliation).toBeUndefined();
    expect(rendered.text).not.toContain('against the bill');
    expect(rendered.html).not.toContain('id="reconciliation"');
  });
});
