// The EC2 events the optimizer listens to (EventBridge `aws.ec2`), their detail schemas and node states.
import { z } from 'zod';
import type { NodeState } from '../domain/fleet.ts';

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

export const zSpotInterruptionDetail = z.object({
  'instance-id': zInstanceId,
  'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
});
export type SpotInterruptionDetail = z.infer<typeof zSpotInterruptionDetail>;

export const zRebalanceDetail = z.object({ 'instance-id': zInstanceId });
export type RebalanceDetail = z.infer<typeof zRebalanceDetail>;

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
