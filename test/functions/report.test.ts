// The report door: the week's report mailed (SES v2, mocked at the SDK) to the recipients of the stored config.
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureEmf, doorTable, emfMetric, schedulerEvent } from './support.ts';

const MONDAY = Date.parse('2026-03-09T08:00:00Z');
const ses = mockClient(SESv2Client);

describe('functions/report', () => {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(MONDAY + 60_000);
  });
  afterAll(() => vi.useRealTimers());

  it("mails the past week's report to the config's recipients and emits the week's spend", async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1' });
    await doorTable({
      report: { from: 'gpu@reports.example.org', recipients: ['a@example.org', 'b@example.org'] },
    });
    vi.resetModules();
    const { handler } = await import('../../functions/report.ts');
    const emf = captureEmf();
    try {
      const summary = await handler(schedulerEvent(MONDAY, 'report'), {} as Context);
      expect(summary).toMatchObject({ messageId: 'ses-message-1', weekStart: '2026-03-02T00:00:00Z' });
    } finally {
      emf.restore();
    }
    const sent = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.FromEmailAddress).toBe('gpu@reports.example.org');
    expect(sent[0]!.Destination!.ToAddresses).toEqual(['a@example.org', 'b@example.org']);
    const spend = emf.lines.map((l) => emfMetric(l, 'WeeklySpendUsd')).find(Boolean);
    expect(spend).toMatchObject({ namespace: 'GpuOptimizer', value: 0 });
    expect(spend!.dimensions).toEqual({ service: 'gpu-optimizer-report' });
  });
});
