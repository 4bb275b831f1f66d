// The weekly report run end to end: a week in dynalite, the e-mail through aws-ses-v2-local, both parts and the figures checked.
import { randomUUID } from 'node:crypto';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, inject, it } from 'vitest';
import { formatUsd } from '../../lib/domain/money.ts';
import { createSesMailer } from '../../lib/notify/email.ts';
import { buildWeeklyReport } from '../../lib/notify/report/model.ts';
import { runReport } from '../../lib/runs/report.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { EXPECTED, HOURS, LEDGER, seedWeek, WEEK_START } from './report-seed.ts';

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

async function sentTo(recipient: string): Promise<StoredEmail[]> {
  const response = await fetch(`${inject('sesEndpoint')}/store`);
  const { emails } = (await response.json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.destination.to.includes(recipient));
}

describe('weekly report e-mail', () => {
  it('arrives with an HTML and a plain-text part carrying the week’s figures', async () => {
    const { store } = await freshDynamoStore();
    await seedWeek(store);
    const recipient = `team-${randomUUID()}@example.com`;
    const ses = new SESv2Client({
      endpoint: inject('sesEndpoint'),
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Sent on the Tuesday after the week: the last complete week is the seeded one.
    const result = await runReport(
      { store, clock: { now: () => Date.parse('2026-03-10T08:00:00Z') }, mailer: createSesMailer(ses) },
      { from: 'gpu-reports@example.com', recipients: [recipient] },
    );
    expect(result.weekStart).toBe(WEEK_START);
    expect(formatUsd(result.totalSpendUsd)).toBe('37.500000');
    expect(formatUsd(result.savingsDoneUsd)).toBe('8.000000');

    const [mail, ...more] = await sentTo(recipient);
    expect(more).toHaveLength(0);
    expect(mail!.messageId).toBe(result.messageId);
    expect(mail!.from).toBe('gpu-reports@example.com');
    expect(mail!.subject).toBe(
      `GPU savings report, week of 2026-03-02: ${EXPECTED.spend} spent, ${EXPECTED.reclaimDone} saved`,
    );
    const html = mail!.body.html!;
    const text = mail!.body.text!;
    expect(html).toContain('<!DOCTYPE html>');
    expect(text).not.toContain('<');
    for (const part of [html, text]) {
      for (const figure of Object.values(EXPECTED)) expect(part).toContain(figure);
      expect(part).toContain('nlp');
      expect(part).toContain('chat');
      expect(part).toContain('vision-a100');
      expect(part).toContain('reason of s1');
      // the next week's $100 and the failed rebalance count nothing
      expect(part).not.toContain('$137.50');
      expect(part).not.toContain('$50.00');
    }
    ses.destroy();
  });
});

describe('the report as data', () => {
  const report = buildWeeklyReport({
    weekStartMs: Date.parse('2026-03-04T15:00:00Z'),
    attribution: Object.values(HOURS).flat(),
    ledger: LEDGER,
    forecasts: [],
    plans: [],
  });

  it('reports the Monday-to-Monday week holding the given time, and only its rows', () => {
    expect(report.weekStart).toBe(WEEK_START);
    expect(report.weekEnd).toBe('2026-03-09T00:00:00Z');
    expect(formatUsd(report.totalSpendUsd)).toBe('37.500000');
    expect(report.spendByTeam.map((t) => [t.key, formatUsd(t.effectiveUsd)])).toEqual([
      ['nlp', '25.000000'],
      ['vision', '12.500000'],
    ]);
    expect(formatUsd(report.idleWasteUsd)).toBe('2.500000');
  });

  it('sums savings per lever for the week and keeps earlier weeks for the trend', () => {
    const byLever = Object.fromEntries(
      report.savingsByLever.map((l) => [l.lever, [formatUsd(l.doneUsd), formatUsd(l.recommendedUsd)]]),
    );
    expect(byLever.reclaim).toEqual(['8.000000', '0.000000']);
    expect(byLever['spot-move']).toEqual(['0.000000', '10.000000']);
    expect(byLever.rebalance).toEqual(['0.000000', '0.000000']);
    expect(report.savingsTrend.at(-1)).toMatchObject({ weekStart: WEEK_START });
    expect(formatUsd(report.savingsTrend.at(-2)!.doneUsd)).toBe('4.000000');
    expect(report.recommendations.map((r) => r.target)).toEqual(['target-s1']);
  });
});
