// Lambda door of the reclaim run (every 5 minutes): a schedule in, the run's summary out.
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { z } from 'zod';
import { createAwsCapacityPorts, once, readCapacityEnvironment } from '../lib/adapters/aws-ports.ts';
import { zAttributionOptions } from '../lib/attribution/options.ts';
import { parseOrThrow } from '../lib/domain/validation.ts';
import { zIdleThresholdConfig } from '../lib/optimizer/idle/thresholds.ts';
import { runReclaim, type ReclaimResult } from '../lib/runs/reclaim.ts';

/** A JSON document in one variable, validated by its schema; a bad one names the field. */
function jsonVariable<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not JSON: ${(error as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const zReclaimEnvironment = z.object({
  RECLAIM_MAX_RELEASES_PER_RUN: z.coerce.number().int().min(0).max(1000).default(5),
  RECLAIM_MAX_POOL_RELEASE_PCT: z.coerce.number().min(0).max(100).default(25),
  /** Idle thresholds: defaults, per pool and per team (see lib/optimizer/idle/thresholds.ts). */
  RECLAIM_THRESHOLDS_JSON: jsonVariable(zIdleThresholdConfig).optional(),
  /** On-prem GPU-hour costs, so that events and the ledger price on-prem nodes. */
  ATTRIBUTION_OPTIONS_JSON: jsonVariable(zAttributionOptions).optional(),
});

/** Read once at cold start: a missing or malformed variable fails the first invocation loudly. */
const capacity = readCapacityEnvironment('reclaim function environment');
const environment = parseOrThrow(zReclaimEnvironment, process.env, 'reclaim function environment');
const ports = once(() => createAwsCapacityPorts(capacity));

export async function reclaimHandler(_event: ScheduledEvent): Promise<ReclaimResult> {
  // Recommend mode never calls the fleet, so its EC2 client is never loaded (see deferredProvider).
  const { store, events, clock, ec2 } = await ports();
  return runReclaim(
    {
      store,
      events,
      clock,
      providers: { aws: ec2 },
      ...(environment.ATTRIBUTION_OPTIONS_JSON ? { attribution: environment.ATTRIBUTION_OPTIONS_JSON } : {}),
    },
    {
      ...(environment.RECLAIM_THRESHOLDS_JSON ? { thresholds: environment.RECLAIM_THRESHOLDS_JSON } : {}),
      policy: {
        mode: capacity.MODE,
        killSwitch: capacity.KILL_SWITCH === 'on',
        maxReleasesPerRun: environment.RECLAIM_MAX_RELEASES_PER_RUN,
        maxPoolReleasePct: environment.RECLAIM_MAX_POOL_RELEASE_PCT,
      },
    },
  );
}

export const handler = middy<ScheduledEvent, ReclaimResult>().handler(reclaimHandler);
