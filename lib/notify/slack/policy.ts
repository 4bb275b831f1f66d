// Which decision events reach Slack at once and which wait for the daily digest: new news posts, repeats do not.
import { createHash } from 'node:crypto';
import type { DomainEvent } from '../../domain/events.ts';
import { DAY_MS, utcDate } from '../../domain/time.ts';
import { formatUsdForDisplay } from '../../domain/money.ts';

/** What the notify run does with one event. */
export interface AlertPolicy {
  /**
   * What makes two events the same news. An event whose fingerprint was posted within `rememberMs` waits for
   * the digest; a redelivered event has the same fingerprint, so it is never posted twice.
   */
  fingerprint: string;
  rememberMs: number;
  /** Events about one subject (a node, a plan's targets, a failing run) reply in the thread of its first message. */
  threadKey: string;
  /** Quiet by nature (a plan with nothing to do): counted in the digest even the first time. */
  quiet: boolean;
  /** The digest's line for it, plain text. */
  digestLine: string;
}

/** A recommendation still standing after a week is worth saying again. */
const ACTIONS_REMEMBERED_MS = 7 * DAY_MS;
/** A run failing the same way is said once a day; the digest counts the repeats. */
const FAILURE_REMEMBERED_MS = DAY_MS;
/** Events that are one fact each (a release, a notice): remembered long enough to absorb redelivery. */
const FACT_REMEMBERED_MS = 2 * DAY_MS;

const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

type PlanActions = Extract<DomainEvent, { detailType: 'Capacity Plan Created' }>['detail']['actions'];

/**
 * The stable identity of a plan's actions: what is done where, to which nodes, in which state. Action ids,
 * reasons and savings change from run to run for the same decision, so they are left out.
 */
export function planActionsFingerprint(actions: PlanActions): string {
  return hash(
    actions
      .map((a) => [
        a.kind,
        a.poolId,
        a.option ?? '',
        a.count ?? null,
        [...a.nodeIds].sort(),
        a.mode,
        a.status,
      ])
      .map((t) => JSON.stringify(t))
      .sort(),
  );
}

/** The targets alone (what and where, not how many or in which state): one thread per set of targets. */
export function planTargetsFingerprint(actions: PlanActions): string {
  return hash([...new Set(actions.map((a) => `${a.kind} ${a.poolId} ${a.option ?? ''}`))].sort());
}

export function alertPolicy(event: DomainEvent): AlertPolicy {
  switch (event.detailType) {
    case 'Capacity Plan Created': {
      const d = event.detail;
      return {
        fingerprint: `plan:${planActionsFingerprint(d.actions)}`,
        rememberMs: ACTIONS_REMEMBERED_MS,
        threadKey: `plan:${planTargetsFingerprint(d.actions)}`,
        quiet: d.actions.length === 0,
        digestLine:
          d.actions.length === 0
            ? `Capacity plan (${d.mode}): no action needed`
            : `Capacity plan (${d.mode}): ${d.actions.length} actions already posted`,
      };
    }
    case 'Idle Node Marked': {
      const d = event.detail;
      return {
        fingerprint: `idle:${d.nodeId}:${d.graceDeadline}`,
        rememberMs: FACT_REMEMBERED_MS,
        threadKey: `node:${d.nodeId}`,
        quiet: false,
        digestLine: `Idle node ${d.nodeId} marked again`,
      };
    }
    case 'Node Released': {
      const d = event.detail;
      return {
        fingerprint: `released:${d.nodeId}:${d.releasedAt}`,
        rememberMs: FACT_REMEMBERED_MS,
        threadKey: `node:${d.nodeId}`,
        quiet: false,
        digestLine: `Node ${d.nodeId} released (${formatUsdForDisplay(d.savedUsdPerHour)}/h)`,
      };
    }
    case 'Spot Interruption Handled': {
      const d = event.detail;
      return {
        fingerprint: `spot:${d.nodeId}:${d.kind}:${d.noticeAt}`,
        rememberMs: FACT_REMEMBERED_MS,
        threadKey: `node:${d.nodeId}`,
        quiet: false,
        digestLine: `Spot ${d.kind} for ${d.nodeId}`,
      };
    }
    case 'Demand Anomaly': {
      const d = event.detail;
      // The forecast flags an anomaly every hour it lasts: once a day per class and direction is news.
      return {
        fingerprint: `anomaly:${d.classId}:${d.direction}:${utcDate(Date.parse(d.at))}`,
        rememberMs: DAY_MS,
        threadKey: `anomaly:${d.classId}`,
        quiet: false,
        digestLine: `Demand ${d.direction} forecast for ${d.classId}`,
      };
    }
    case 'Budget Alert': {
      const d = event.detail;
      return {
        fingerprint: `budget:${d.scope}:${d.periodStart}:${d.periodEnd}:${d.varianceUsd}`,
        rememberMs: FACT_REMEMBERED_MS,
        threadKey: `budget:${d.scope}`,
        quiet: false,
        digestLine: `Budget variance for ${d.scope}: ${formatUsdForDisplay(d.varianceUsd)}`,
      };
    }
    case 'Run Failed': {
      const d = event.detail;
      return {
        fingerprint: `failed:${d.run}:${d.part ?? ''}:${hash(d.error)}`,
        rememberMs: FAILURE_REMEMBERED_MS,
        threadKey: `failed:${d.run}:${d.part ?? ''}`,
        quiet: false,
        digestLine: `Run ${d.run}${d.part ? ` (${d.part})` : ''} failed again the same way`,
      };
    }
    default:
      return {
        fingerprint: `${event.detailType}:${hash(event.detail)}`,
        rememberMs: FACT_REMEMBERED_MS,
        threadKey: event.detailType,
        quiet: false,
        digestLine: event.detailType,
      };
  }
}
