import { describe, expect, it } from 'vitest';
import { parseEvent, parseRecordBody } from '../../lib/ingest/records.ts';
import { sampleBatch } from '../support/samples.ts';
import { batchEvent, ec2Fixture, ec2FixtureNames } from './fixtures.ts';

/** What ingest makes of every real EC2 event: the message, or the error it reports (and the DLQ keeps). */
const EXPECTED: Record<string, string> = {
  'awsdocs_state-change-pending.json': 'ec2-state i-abcd1111 pending',
  'nth_state-change-pending-example.json': 'ec2-state i-abcd1111 pending',
  'powertools_state-change-terminated.json': 'error detail.instance-id',
  'awsdocs_spot-interruption-warning.json': 'error time',
  'nth_spot-itn-example.json': 'ec2-notice i-0b662ef9931388ba0 interruption',
  'karpenter-design_spot-itn.json': 'ec2-notice i-0123456789 interruption',
  'awsdocs_rebalance-recommendation.json': 'error time',
  'nth_rebalance-recommendation-example.json': 'ec2-notice i-0b662ef9931388ba0 rebalance',
  'awsdocs_ec2-fleet-error-configInvalid.json': 'error no ingest',
  'awsdocs_ec2-fleet-information-launchSpecUnusable.json': 'error no ingest',
  'awsdocs_ec2-fleet-instance-change-launched.json': 'error no ingest',
  'awsdocs_spot-fleet-instance-change-launched.json': 'error no ingest',
  'awsdocs_spot-fleet-spot-request-change-cancelled.json': 'error no ingest',
  'awsdocs_health-odcr-underutilization.json': 'error no ingest',
  'awsdocs_health-odcr-underutilization-summary.json': 'error no ingest',
  'aws-health-tools_health-test-event.json': 'error',
  'aws-health-tools_instance-store-degraded.json': 'error no ingest',
  'nth_health-scheduled-change-example.json': 'error no ingest',
  'nth_asg-terminate-lifecycle-example.json': 'error no ingest',
  'cloudcustodian-readme_health-retirement-scheduled.txt': 'error body is not JSON',
};

describe('EC2 events from the documentation and real tools', () => {
  it('has an expectation for every fixture file', () => {
    expect(ec2FixtureNames().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of ec2FixtureNames()) {
    it(name, () => {
      const result = parseRecordBody(ec2Fixture(name));
      const got = result.ok
        ? `${result.message.kind} ${'instanceId' in result.message ? result.message.instanceId : ''} ${
            result.message.kind === 'ec2-state'
              ? result.message.state
              : result.message.kind === 'ec2-notice'
                ? result.message.notice
                : ''
          }`
        : `error ${result.error}`;
      expect(got.startsWith(EXPECTED[name]!)).toBe(true);
    });
  }

  it('names the field when a state-change event uses instance_id instead of instance-id', () => {
    const result = parseRecordBody(ec2Fixture('powertools_state-change-terminated.json'));
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^detail\.instance-id: /) });
  });

  it('reads shutting-down as terminated: the instance is not billed and cannot come back', () => {
    const event = {
      ...JSON.parse(ec2Fixture('nth_state-change-pending-example.json')),
      detail: { 'instance-id': 'i-abcd1111', state: 'shutting-down' },
    };
    expect(parseEvent(event)).toMatchObject({ ok: true, message: { state: 'terminated' } });
  });
});

describe('GPU Utilization Batch records', () => {
  it('reads a batch in its envelope', () => {
    const result = parseEvent(batchEvent(sampleBatch()));
    expect(result).toMatchObject({ ok: true, message: { kind: 'utilization', batch: { bootId: 'boot-1' } } });
  });

  it('names the field of a bad reading', () => {
    const batch = sampleBatch();
    (batch.gpus[0]!.readings[0] as { utilizationPct: number }).utilizationPct = 140;
    const result = parseEvent(batchEvent(batch));
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^detail\.gpus\[0\]\.readings\[0\]\.utilizationPct: /),
    });
  });

  it('refuses a batch claiming to come from another source', () => {
    const result = parseEvent({ ...batchEvent(sampleBatch()), source: 'someone.else' });
    expect(result).toMatchObject({
      ok: false,
      error: expect.stringMatching(/comes from gpu-optimizer.agent/),
    });
  });
});
