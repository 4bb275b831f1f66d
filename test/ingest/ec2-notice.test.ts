// The one parser of EC2 spot interruption warnings and rebalance recommendations, which ingest and the interruption run share.
import { describe, expect, it } from 'vitest';
import { parseEc2Notice } from '../../lib/ingest/ec2-events.ts';
import { parseEvent } from '../../lib/ingest/records.ts';
import { ec2Fixture } from './fixtures.ts';

const fixture = (name: string) => JSON.parse(ec2Fixture(name)) as Record<string, unknown>;

describe('parseEc2Notice', () => {
  it.each([
    ['nth_spot-itn-example.json', 'interruption', 'i-0b662ef9931388ba0', '1970-01-01T00:00:00Z'],
    ['karpenter-design_spot-itn.json', 'interruption', 'i-0123456789', '2022-08-11T14:00:00Z'],
    ['nth_rebalance-recommendation-example.json', 'rebalance', 'i-0b662ef9931388ba0', '2020-10-26T14:14:14Z'],
    // The documentation's sample: placeholder time and instance-action, a real instance id.
    ['awsdocs_spot-interruption-warning.json', 'interruption', 'i-1234567890abcdef0', 'yyyy-mm-ddThh:mm:ssZ'],
  ])('reads %s', (name, kind, instanceId, time) => {
    expect(parseEc2Notice(fixture(name))).toEqual({ ok: true, notice: { kind, instanceId, time } });
  });

  it('names the field of a malformed notice', () => {
    const real = fixture('nth_spot-itn-example.json');
    const detail = real.detail as Record<string, unknown>;
    expect(parseEc2Notice({ ...real, detail: { 'instance-action': 'terminate' } })).toEqual({
      ok: false,
      error: expect.stringMatching(/^detail\.instance-id: /),
    });
    expect(parseEc2Notice({ ...real, detail: { ...detail, 'instance-id': 'web-1' } })).toEqual({
      ok: false,
      error: expect.stringMatching(/^detail\.instance-id: expected an EC2 instance id/),
    });
    expect(parseEc2Notice({ ...real, source: 'my.app' })).toEqual({
      ok: false,
      error: expect.stringMatching(/^source: /),
    });
    expect(
      parseEc2Notice({ ...real, 'detail-type': 'EC2 Instance State-change Notification' }),
    ).toMatchObject({
      ok: false,
    });
  });

  it('is what ingest reads a notice with: the same instance and kind, the same refusal', () => {
    const real = fixture('nth_spot-itn-example.json');
    expect(parseEvent(real)).toMatchObject({
      ok: true,
      message: { kind: 'ec2-notice', instanceId: 'i-0b662ef9931388ba0', notice: 'interruption' },
    });
    const bad = { ...real, detail: { 'instance-id': 'web-1' } };
    const notice = parseEc2Notice(bad);
    expect(parseEvent(bad)).toMatchObject({ ok: false, error: !notice.ok && notice.error });
  });
});
