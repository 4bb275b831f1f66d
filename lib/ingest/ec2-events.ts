// The EC2 events the optimizer listens to (EventBridge `aws.ec2`), their detail schemas and node states.
import { z } from 'zod';
import type { NodeState } from '../domain/fleet.ts';
import { describeZodError } from '../domain/validation.ts';

export const EC2_SOURCE = 'aws.ec2';

export const EC2_DETAIL_TYPES = {
  stateChange: 'EC2 Instance State-change Notification',
  spotInterruption: 'EC2 Spot Instance Interruption Warning',
  rebalance: 'EC2 Instance Rebalance Recommendation',
} as const;

const zInstanceId = z
  .string()
  .regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id, like i-0abc12345def67890');

export const EC2_STATES = [
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
] as const;

export const zEc2StateChangeDetail = z.object({
  'instance-id': zInstanceId,
  state: z.enum(EC2_STATES),
});
export type Ec2StateChangeDetail = z.infer<typeof zEc2StateChangeDetail>;

/**
 * The action EC2 will take is not read: interruption and rebalance are handled alike whatever it is, and a
 * value AWS adds (or the documentation's placeholder "action") must not cost a two-minute notice.
 */
export const zSpotInterruptionDetail = z.object({
  'instance-id': zInstanceId,
  'instance-action': z.string().optional(),
});
export type SpotInterruptionDetail = z.infer<typeof zSpotInterruptionDetail>;

export const zRebalanceDetail = z.object({ 'instance-id': zInstanceId });
export type RebalanceDetail = z.infer<typeof zRebalanceDetail>;

/** What a notice asks for: capacity is about to go (interruption) or is at higher risk (rebalance). */
export type Ec2NoticeKind = 'interruption' | 'rebalance';

const noticeEnvelope = {
  source: z.literal(EC2_SOURCE),
  // Not held to RFC 3339 here: the interruption run takes a placeholder time as "now"; ingest checks it first.
  time: z.string(),
  region: z.string().optional(),
};

/**
 * The two EC2 notices (the EventBridge event, the fields read of it): the one schema ingest and the
 * interruption run both parse them with.
 */
export const zEc2NoticeEvent = z.discriminatedUnion('detail-type', [
  z.object({
    ...noticeEnvelope,
    'detail-type': z.literal(EC2_DETAIL_TYPES.spotInterruption),
    detail: zSpotInterruptionDetail,
  }),
  z.object({
    ...noticeEnvelope,
    'detail-type': z.literal(EC2_DETAIL_TYPES.rebalance),
    detail: zRebalanceDetail,
  }),
]);
export type Ec2NoticeEvent = z.infer<typeof zEc2NoticeEvent>;

export interface Ec2Notice {
  kind: Ec2NoticeKind;
  instanceId: string;
  /** As the event has it: RFC 3339, or a documentation sample's placeholder. */
  time: string;
}

export type Ec2NoticeResult = { ok: true; notice: Ec2Notice } | { ok: false; error: string };

/** Parses an EC2 spot interruption warning or rebalance recommendation, or names the field that is wrong. */
export function parseEc2Notice(event: unknown): Ec2NoticeResult {
  const parsed = zEc2NoticeEvent.safeParse(event);
  if (!parsed.success) return { ok: false, error: describeZodError(parsed.error) };
  const e = parsed.data;
  return {
    ok: true,
    notice: {
      kind: e['detail-type'] === EC2_DETAIL_TYPES.rebalance ? 'rebalance' : 'interruption',
      instanceId: e.detail['instance-id'],
      time: e.time,
    },
  };
}

/**
 * EC2's states in the fleet's words. A shutting-down instance is no longer billed and cannot come back,
 * so it counts as terminated at once.
 */
export const NODE_STATE_OF_EC2: Record<(typeof EC2_STATES)[number], NodeState> = {
  pending: 'pending',
  running: 'running',
  'shutting-down': 'terminated',
  terminated: 'terminated',
  stopping: 'stopping',
  stopped: 'stopped',
};
