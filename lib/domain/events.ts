// Every event of the system: its source, detail-type, versioned detail schema, and one registry to parse by.
import { redactSecrets } from './redact.ts';
import { z } from 'zod';
import { zCount, zId, zMicroUsd, zNonNegative, zTimestamp } from './fields.ts';
import { zFleetNode, zReleaseMethod } from './fleet.ts';
import { zModelScore } from './forecast.ts';
import { zAction, zMode, zPoolExplanation } from './plan.ts';
import { zPool, zPurchaseOption } from './pool.ts';
import { zFactTime, zUtilizationBatch } from './usage.ts';
import { describeZodError } from './validation.ts';

export const SOURCES = {
  agent: 'gpu-optimizer.agent',
  connector: 'gpu-optimizer.connector',
  decisions: 'gpu-optimizer.decisions',
} as const;

/** EventBridge rejects entries over 256 KB; producers keep each under this. */
export const MAX_EVENT_BYTES = 256 * 1024;

const v1 = z.literal('1');

export const zCapacitySnapshot = z.object({
  schemaVersion: v1,
  connector: zId,
  takenAt: zFactTime,
  pools: z.array(zPool),
  nodes: z.array(zFleetNode),
  /** GPUs running and waiting per team (and pool or partition where known). */
  demand: z.array(
    z.object({
      team: zId.optional(),
      poolId: zId.optional(),
      gpusRunning: zNonNegative,
      gpusPending: zNonNegative,
    }),
  ),
});

export const zCapacityPlanCreated = z.object({
  schemaVersion: v1,
  planId: zId,
  createdAt: zTimestamp,
  mode: zMode,
  horizonStart: zTimestamp,
  horizonEnd: zTimestamp,
  totalCostUsd: zMicroUsd,
  /** The first period of the plan, the one its actions carry out. */
  firstPeriod: z.array(
    z.object({ poolId: zId, option: zPurchaseOption, instances: zCount, costUsd: zMicroUsd }),
  ),
  explanations: z.array(zPoolExplanation),
  actions: z.array(zAction),
});

export const zSpotInterruptionHandled = z.object({
  schemaVersion: v1,
  nodeId: zId,
  poolId: zId,
  kind: z.enum(['interruption', 'rebalance']),
  noticeAt: zTimestamp,
  handledAt: zTimestamp,
  replacements: z.array(z.object({ poolId: zId, option: zPurchaseOption, count: zCount })),
  actions: z.array(zAction),
});

export const zIdleNodeMarked = z.object({
  schemaVersion: v1,
  nodeId: zId,
  poolId: zId,
  team: zId.optional(),
  markedAt: zTimestamp,
  idleSince: zTimestamp,
  graceDeadline: zTimestamp,
  reason: z.string(),
  mode: zMode,
  hourlyCostUsd: zMicroUsd,
});

export const zNodeReleased = z.object({
  schemaVersion: v1,
  nodeId: zId,
  poolId: zId,
  team: zId.optional(),
  releasedAt: zTimestamp,
  method: zReleaseMethod,
  mode: zMode,
  reason: z.string(),
  savedUsdPerHour: zMicroUsd,
});

export const zDemandAnomaly = z.object({
  schemaVersion: v1,
  classId: zId,
  at: zTimestamp,
  direction: z.enum(['above', 'below']),
  actualGpus: zNonNegative,
  expectedGpus: zNonNegative,
  p99Gpus: zNonNegative,
  windowHours: z.number().int().positive(),
  model: zId,
  scores: z.array(zModelScore).default([]),
});

export const zBudgetAlert = z.object({
  schemaVersion: v1,
  scope: zId,
  periodStart: zTimestamp,
  periodEnd: zTimestamp,
  attributedUsd: zMicroUsd,
  billedUsd: zMicroUsd,
  varianceUsd: zMicroUsd,
  thresholdPct: z.number().min(0),
  explanation: z.string(),
});

export const zRunFailed = z.object({
  schemaVersion: v1,
  run: zId,
  part: zId.optional(),
  at: zTimestamp,
  error: z.string(),
});

/** The registry: (source, detail-type) → the schema of its detail. */
export const EVENT_TYPES = {
  'GPU Utilization Batch': { source: SOURCES.agent, schema: zUtilizationBatch },
  'Capacity Snapshot': { source: SOURCES.connector, schema: zCapacitySnapshot },
  'Capacity Plan Created': { source: SOURCES.decisions, schema: zCapacityPlanCreated },
  'Spot Interruption Handled': { source: SOURCES.decisions, schema: zSpotInterruptionHandled },
  'Idle Node Marked': { source: SOURCES.decisions, schema: zIdleNodeMarked },
  'Node Released': { source: SOURCES.decisions, schema: zNodeReleased },
  'Demand Anomaly': { source: SOURCES.decisions, schema: zDemandAnomaly },
  'Budget Alert': { source: SOURCES.decisions, schema: zBudgetAlert },
  'Run Failed': { source: SOURCES.decisions, schema: zRunFailed },
} as const;

export type DetailType = keyof typeof EVENT_TYPES;
export type EventDetail<T extends DetailType> = z.output<(typeof EVENT_TYPES)[T]['schema']>;
export type EventDetailWire<T extends DetailType> = z.input<(typeof EVENT_TYPES)[T]['schema']>;

/** An event as code holds it (money as bigint). */
export type DomainEvent = {
  [T in DetailType]: {
    source: (typeof EVENT_TYPES)[T]['source'];
    detailType: T;
    detail: EventDetail<T>;
    time?: string;
  };
}[DetailType];

/** An event as it travels (money as decimal strings), what PutEvents sends as Detail. */
export interface WireEvent {
  source: string;
  detailType: string;
  detail: unknown;
  time?: string;
}

export function makeEvent<T extends DetailType>(
  detailType: T,
  detail: EventDetail<T>,
  time?: string,
): DomainEvent {
  return {
    source: EVENT_TYPES[detailType].source,
    detailType,
    // A failure's message may quote a connector's URL with its credentials; no event carries them.
    detail: detailType === 'Run Failed' ? redactSecrets(detail) : detail,
    ...(time ? { time } : {}),
  } as DomainEvent;
}

/** Encodes an event's detail to its wire form (money → decimal strings). */
export function toWire(event: DomainEvent): WireEvent {
  const schema = EVENT_TYPES[event.detailType].schema as z.ZodType;
  return {
    source: event.source,
    detailType: event.detailType,
    detail: z.encode(schema, event.detail as never),
    ...(event.time ? { time: event.time } : {}),
  };
}

/** Encodes an event, or says which field of it is invalid; what producers call before sending. */
export function tryToWire(event: DomainEvent): { ok: true; wire: WireEvent } | { ok: false; error: string } {
  try {
    return { ok: true, wire: toWire(event) };
  } catch (error) {
    if (error instanceof z.ZodError) return { ok: false, error: describeZodError(error, 'detail') };
    throw error;
  }
}

export type ParseResult = { ok: true; event: DomainEvent } | { ok: false; error: string };

/** Parses a wire event by its source and detail-type; an unknown type or a bad detail is an error that names the field. */
export function parseWireEvent(event: WireEvent): ParseResult {
  const entry = (EVENT_TYPES as Record<string, { source: string; schema: z.ZodType }>)[event.detailType];
  if (!entry) return { ok: false, error: `unknown detail-type ${JSON.stringify(event.detailType)}` };
  if (entry.source !== event.source) {
    return {
      ok: false,
      error: `detail-type ${JSON.stringify(event.detailType)} comes from ${entry.source}, not ${JSON.stringify(event.source)}`,
    };
  }
  const result = z.safeDecode(entry.schema, event.detail as never);
  if (!result.success) return { ok: false, error: describeZodError(result.error, 'detail') };
  return { ok: true, event: makeEvent(event.detailType as DetailType, result.data as never, event.time) };
}

/** The JSON Schemas of every event detail, keyed by file name; `npm run schemas` writes them to schemas/. */
export function eventJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [detailType, { source, schema }] of Object.entries(EVENT_TYPES)) {
    const file = `${detailType.toLowerCase().replace(/\s+/g, '-')}.v1.json`;
    out[file] = {
      ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }),
      title: detailType,
      description: `Detail of the EventBridge event with source "${source}" and detail-type "${detailType}".`,
    };
  }
  return out;
}
