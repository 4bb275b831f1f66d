// One decision event of each kind, as the producers make them, for the notify tests.
import { makeEvent, toWire, type DomainEvent } from '../../lib/domain/events.ts';
import { parseUsd } from '../../lib/domain/money.ts';
import type { BusEvent } from '../../lib/runs/notify.ts';

export const POOL = 'aws:us-east-1:us-east-1a:g5.xlarge';

export const DECISION_EVENTS: DomainEvent[] = [
  makeEvent('Capacity Plan Created', {
    schemaVersion: '1',
    planId: 'plan-2026-03-02T10:00Z',
    createdAt: '2026-03-02T10:00:00Z',
    mode: 'recommend',
    horizonStart: '2026-03-02T10:00:00Z',
    horizonEnd: '2026-03-09T10:00:00Z',
    totalCostUsd: parseUsd('12345.670000'),
    firstPeriod: [{ poolId: POOL, option: 'spot', instances: 4, costUsd: parseUsd('2.400000') }],
    explanations: [
      { poolId: POOL, text: 'spot is 60% cheaper & risk is low', costUsd: 1n, nextBestCostUsd: null },
    ],
    actions: [
      {
        actionId: 'a1',
        kind: 'launch',
        poolId: POOL,
        option: 'spot',
        count: 2,
        nodeIds: [],
        reason: 'forecast p90 rises to 12 GPUs <tomorrow>',
        mode: 'recommend',
        status: 'recommended',
        expectedSavingUsdPerHour: parseUsd('1.250000'),
      },
    ],
  }),
  makeEvent('Idle Node Marked', {
    schemaVersion: '1',
    nodeId: 'i-0abc',
    poolId: POOL,
    team: 'vision',
    markedAt: '2026-03-02T10:00:00Z',
    idleSince: '2026-03-02T08:30:00Z',
    graceDeadline: '2026-03-02T11:00:00Z',
    reason: 'GPU utilization under 5% for 90 minutes',
    mode: 'enforce',
    hourlyCostUsd: parseUsd('1.006000'),
  }),
  makeEvent('Node Released', {
    schemaVersion: '1',
    nodeId: 'i-0abc',
    poolId: POOL,
    team: 'vision',
    releasedAt: '2026-03-02T11:00:00Z',
    method: 'stop',
    mode: 'enforce',
    reason: 'idle past its grace deadline',
    savedUsdPerHour: parseUsd('1.006000'),
  }),
  makeEvent('Spot Interruption Handled', {
    schemaVersion: '1',
    nodeId: 'i-0def',
    poolId: POOL,
    kind: 'interruption',
    noticeAt: '2026-03-02T12:00:00Z',
    handledAt: '2026-03-02T12:00:03Z',
    replacements: [{ poolId: POOL, option: 'on-demand', count: 1 }],
    actions: [],
  }),
  makeEvent('Demand Anomaly', {
    schemaVersion: '1',
    classId: 'vision-a100',
    at: '2026-03-02T13:00:00Z',
    direction: 'above',
    actualGpus: 40,
    expectedGpus: 16,
    p99Gpus: 24,
    windowHours: 3,
    model: 'seasonal-naive',
    scores: [],
  }),
  makeEvent('Budget Alert', {
    schemaVersion: '1',
    scope: 'team:vision',
    periodStart: '2026-02-01T00:00:00Z',
    periodEnd: '2026-03-01T00:00:00Z',
    attributedUsd: parseUsd('1000.000000'),
    billedUsd: parseUsd('1100.000000'),
    varianceUsd: parseUsd('100.000000'),
    thresholdPct: 5,
    explanation: 'the bill holds 100 $ of EBS the attribution does not see',
  }),
  makeEvent('Run Failed', {
    schemaVersion: '1',
    run: 'optimize',
    part: 'aws-ec2-us-east-1',
    at: '2026-03-02T14:00:00Z',
    error: 'UnauthorizedOperation: not allowed to ec2:CreateFleet',
  }),
];

/** The event as Lambda gets it from its rule: JSON, money as decimal strings. */
export function asBusEvent(event: DomainEvent): BusEvent {
  const wire = toWire(event);
  return JSON.parse(
    JSON.stringify({ source: wire.source, 'detail-type': wire.detailType, detail: wire.detail }),
  ) as BusEvent;
}
