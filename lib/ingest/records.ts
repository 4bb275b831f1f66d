// Reads one SQS record of the ingest queue: the EventBridge event in its body, checked field by field.
import { z } from 'zod';
import { parseWireEvent, SOURCES, type EventDetail } from '../domain/events.ts';
import { zTimestamp } from '../domain/fields.ts';
import { zKeyId, type NodeState } from '../domain/fleet.ts';
import type { UtilizationBatch } from '../domain/usage.ts';
import { describeZodError } from '../domain/validation.ts';
import {
  EC2_DETAIL_TYPES,
  EC2_SOURCE,
  NODE_STATE_OF_EC2,
  parseEc2Notice,
  zEc2StateChangeDetail,
  type Ec2NoticeKind,
} from './ec2-events.ts';
import { isCertainlyValidBatch } from './fast-batch.ts';

/** The envelope EventBridge wraps every event in; unknown top-level keys (replay-name, …) are ignored. */
export const zEventEnvelope = z.object({
  version: z.string().optional(),
  // It keys what ingest keeps of the event (a pending node fact), so it is held to what a key can take.
  id: zKeyId,
  'detail-type': z.string().min(1).max(128),
  source: z.string().min(1).max(256),
  account: z.string().optional(),
  time: zTimestamp,
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});
export type EventEnvelope = z.infer<typeof zEventEnvelope>;

/** What ingest does with a record, once it is known to be valid. */
export type IngestMessage =
  | { kind: 'utilization'; eventId: string; time: string; batch: UtilizationBatch }
  | { kind: 'ec2-state'; eventId: string; time: string; instanceId: string; state: NodeState }
  | {
      kind: 'ec2-notice';
      eventId: string;
      time: string;
      instanceId: string;
      notice: Ec2NoticeKind;
    }
  | { kind: 'snapshot'; eventId: string; time: string; snapshot: EventDetail<'Capacity Snapshot'> };

export type RecordResult =
  { ok: true; message: IngestMessage } | { ok: false; error: string; envelope?: EventEnvelope };

/** Parses an event (already JSON) into what ingest does with it, or an error naming the field. */
export function parseEvent(json: unknown): RecordResult {
  const env = zEventEnvelope.safeParse(json);
  if (!env.success) return { ok: false, error: describeZodError(env.error) };
  const e = env.data;
  const base = { eventId: e.id, time: e.time };
  if (e.source === EC2_SOURCE) {
    const type = e['detail-type'];
    if (type === EC2_DETAIL_TYPES.stateChange) {
      const detail = zEc2StateChangeDetail.safeParse(e.detail);
      if (!detail.success) return { ok: false, envelope: e, error: describeZodError(detail.error, 'detail') };
      const { 'instance-id': instanceId, state } = detail.data;
      return {
        ok: true,
        message: { kind: 'ec2-state', ...base, instanceId, state: NODE_STATE_OF_EC2[state] },
      };
    }
    if (type === EC2_DETAIL_TYPES.spotInterruption || type === EC2_DETAIL_TYPES.rebalance) {
      const parsed = parseEc2Notice(e);
      if (!parsed.ok) return { ok: false, envelope: e, error: parsed.error };
      const { instanceId, kind: notice } = parsed.notice;
      return { ok: true, message: { kind: 'ec2-notice', ...base, instanceId, notice } };
    }
    return { ok: false, envelope: e, error: `no ingest for aws.ec2 ${JSON.stringify(type)}` };
  }
  const type = e['detail-type'];
  if (type !== 'GPU Utilization Batch' && type !== 'Capacity Snapshot') {
    return {
      ok: false,
      envelope: e,
      error: `no ingest for ${JSON.stringify(e.source)} ${JSON.stringify(type)}`,
    };
  }
  if (type === 'GPU Utilization Batch' && e.source === SOURCES.agent && isCertainlyValidBatch(e.detail)) {
    return { ok: true, message: { kind: 'utilization', ...base, batch: e.detail } };
  }
  // The registry checks the source as well as the detail: a snapshot from anyone but a connector is refused.
  const parsed = parseWireEvent({ source: e.source, detailType: type, detail: e.detail });
  if (!parsed.ok) return { ok: false, envelope: e, error: parsed.error };
  const { event } = parsed;
  if (event.detailType === 'GPU Utilization Batch') {
    return { ok: true, message: { kind: 'utilization', ...base, batch: event.detail } };
  }
  if (event.detailType === 'Capacity Snapshot') {
    return { ok: true, message: { kind: 'snapshot', ...base, snapshot: event.detail } };
  }
  throw new Error('unreachable');
}

/** Parses an SQS message body: the EventBridge event as JSON text. */
export function parseRecordBody(body: string): RecordResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return { ok: false, error: `body is not JSON: ${(error as Error).message}` };
  }
  return parseEvent(json);
}
