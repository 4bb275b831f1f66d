// Attributes one hour: each node's effective cost split over its jobs by busy GPU-seconds, idle as its own line, exactly.
import type { AttributionRow } from '../domain/attribution.ts';
import { isLive, type FleetNode } from '../domain/fleet.ts';
import { deviceShare, fractionalWeights, partitionKey } from '../domain/gpu.ts';
import { IDLE_OWNER, SHARED_OWNER, UNALLOCATED_OWNER } from '../domain/labels.ts';
import { costForSeconds, splitLargestRemainder, sumUsd, type MicroUsd } from '../domain/money.ts';
import { priceKey, type PriceQuote } from '../domain/price.ts';
import { HOUR_MS, parseRfc3339, toRfc3339, WINDOW_SECONDS } from '../domain/time.ts';
import { mergeByNodeWindow, type JobShare, type WindowRollup } from '../domain/usage.ts';
import { chargeFor, nodeRate, PRICING_CATEGORY, priceBook, type Charge, type NodeRate } from './cost.ts';
import type { AttributionOptions, Commitment } from './options.ts';

export interface HourInput {
  hourStartMs: number;
  nodes: readonly FleetNode[];
  /** Rollups with windowStart in the hour; partial items of one window are merged here. */
  rollups: readonly WindowRollup[];
  prices: readonly PriceQuote[];
  options: AttributionOptions;
  /** The bill's cost of a node for the hour, when a bill is imported: used instead of prices (x_CostSource 'bill'). */
  billCost?: (nodeId: string, hourStartMs: number) => Charge | undefined;
}

export interface HourAttribution {
  hourStartMs: number;
  rows: AttributionRow[];
  /** What the fleet cost in the hour: every node's charge plus unused commitments. The rows sum to it exactly. */
  fleetCostUsd: MicroUsd;
  /** Nodes that ran in the hour without a known price (their cost is not in the rows). */
  unpriced: string[];
}

const HOUR_SECONDS = HOUR_MS / 1000;

/**
 * Seconds a node ran in the hour. A node live now ran from its launch (or the hour's start) to the hour's end;
 * a node no longer live ran for the windows it reported. Never less than what it reported.
 */
export function runSecondsInHour(node: FleetNode, reportedWindows: number, hourStartMs: number): number {
  const reported = Math.min(HOUR_SECONDS, reportedWindows * WINDOW_SECONDS);
  if (!isLive(node)) return reported;
  const launchedMs = node.launchedAt ? parseRfc3339(node.launchedAt) : -Infinity;
  const fromMs = Math.max(hourStartMs, launchedMs);
  const live = Math.max(0, Math.min(HOUR_SECONDS, (hourStartMs + HOUR_MS - fromMs) / 1000));
  return Math.max(reported, Math.round(live));
}

/** Busy GPU-seconds per job over the hour's windows, jobs sorted by id so that splits are reproducible. */
function jobsOf(windows: readonly WindowRollup[]): JobShare[] {
  const jobs = new Map<string, JobShare>();
  for (const w of windows) {
    for (const j of w.jobs) {
      const have = jobs.get(j.jobId);
      jobs.set(j.jobId, have ? { ...have, gpuSeconds: have.gpuSeconds + j.gpuSeconds } : { ...j });
    }
  }
  return [...jobs.values()].sort((a, b) => compareText(a.jobId, b.jobId));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function regionOfPool(poolId: string): string {
  return poolId.split(':')[1] ?? '';
}

interface Owner {
  jobId: string;
  user: string;
  project: string;
  team: string;
  gpuSeconds: number;
}

function idleOwner(node: FleetNode, gpuSeconds: number): Owner {
  return {
    jobId: IDLE_OWNER,
    user: IDLE_OWNER,
    project: node.labels.project ?? IDLE_OWNER,
    team: node.labels.team ?? IDLE_OWNER,
    gpuSeconds,
  };
}

function jobOwner(job: JobShare): Owner {
  return {
    jobId: job.jobId,
    user: job.user ?? UNALLOCATED_OWNER,
    project: job.project ?? UNALLOCATED_OWNER,
    team: job.team ?? UNALLOCATED_OWNER,
    gpuSeconds: job.gpuSeconds,
  };
}

interface NodeHour {
  node: FleetNode;
  rate: NodeRate;
  seconds: number;
  charge: Charge;
  jobs: JobShare[];
  costSource: 'list' | 'bill';
}

/** Unused committed instance-seconds of a pool cost what the commitment charges for them; filled in listed order. */
function unusedCommitmentUsd(commitments: readonly Commitment[], usedSeconds: number): MicroUsd {
  let left = usedSeconds;
  let unused = 0n;
  for (const c of commitments) {
    const paid = c.instances * HOUR_SECONDS;
    const used = Math.min(paid, left);
    left -= used;
    unused += costForSeconds(c.usdPerHour, paid - used);
  }
  return unused;
}

export function attributeHour(input: HourInput): HourAttribution {
  const { hourStartMs, options } = input;
  const book = priceBook(input.prices);
  const windowsByNode = new Map<string, WindowRollup[]>();
  // Sorted first so that merging (which keeps the first labels it meets) never depends on the order read.
  const sorted = [...input.rollups].sort(
    (a, b) =>
      compareText(a.node.nodeId, b.node.nodeId) ||
      parseRfc3339(a.windowStart) - parseRfc3339(b.windowStart) ||
      compareText(a.eventId, b.eventId),
  );
  for (const w of mergeByNodeWindow(sorted)) {
    const startMs = parseRfc3339(w.windowStart);
    if (startMs < hourStartMs || startMs >= hourStartMs + HOUR_MS) continue;
    windowsByNode.set(w.node.nodeId, [...(windowsByNode.get(w.node.nodeId) ?? []), w]);
  }
  const known = new Set(input.nodes.map((n) => n.nodeId));
  const unpriced = [...windowsByNode.keys()].filter((id) => !known.has(id));
  const hours: NodeHour[] = [];
  for (const node of [...input.nodes].sort((a, b) => compareText(a.nodeId, b.nodeId))) {
    const windows = windowsByNode.get(node.nodeId) ?? [];
    const seconds = runSecondsInHour(node, windows.length, hourStartMs);
    if (seconds <= 0) continue;
    const billed = input.billCost?.(node.nodeId, hourStartMs);
    const skuPriceId = priceKey(node.poolId, node.purchaseOption);
    const rate =
      nodeRate(node, book, options) ??
      (billed && { effectiveUsdPerHour: billed.effectiveUsd, listUsdPerHour: billed.listUsd, skuPriceId });
    if (!rate) {
      unpriced.push(node.nodeId);
      continue;
    }
    const charge = billed ?? chargeFor(rate, seconds);
    hours.push({ node, rate, seconds, charge, jobs: jobsOf(windows), costSource: billed ? 'bill' : 'list' });
  }

  // Unused commitment: carried by the committed nodes that ran, or its own idle line when none did.
  const orphanRows: AttributionRow[] = [];
  const byPool = new Map<string, Commitment[]>();
  for (const c of options.commitments) byPool.set(c.poolId, [...(byPool.get(c.poolId) ?? []), c]);
  for (const [poolId, commitments] of byPool) {
    const reserved = hours.filter((h) => h.node.poolId === poolId && h.node.purchaseOption === 'reserved');
    const unusedUsd = unusedCommitmentUsd(
      commitments,
      reserved.reduce((a, h) => a + h.seconds, 0),
    );
    if (unusedUsd === 0n) continue;
    if (reserved.length > 0) {
      const parts = splitLargestRemainder(
        unusedUsd,
        reserved.map((h) => h.seconds),
      );
      reserved.forEach(
        (h, i) => (h.charge = { ...h.charge, effectiveUsd: h.charge.effectiveUsd + parts[i]! }),
      );
    } else {
      const team = commitments.find((c) => c.team)?.team ?? SHARED_OWNER;
      orphanRows.push(
        focusRow({
          hourStartMs,
          resourceId: `commitment:${poolId}`,
          resourceType: 'Commitment',
          regionId: regionOfPool(poolId),
          skuPriceId: priceKey(poolId, 'reserved'),
          poolId,
          option: 'reserved',
          tags: {},
          owner: { jobId: IDLE_OWNER, user: IDLE_OWNER, project: IDLE_OWNER, team, gpuSeconds: 0 },
          effectiveUsd: unusedUsd,
          listUsd: 0n,
        }),
      );
    }
  }

  const rows = hours.flatMap((h) => nodeRows(h, hourStartMs, options)).concat(orphanRows);
  rows.sort((a, b) => compareText(a.ResourceId, b.ResourceId) || compareText(a.x_JobId, b.x_JobId));
  const fleetCostUsd =
    sumUsd(hours.map((h) => h.charge.effectiveUsd)) + sumUsd(orphanRows.map((r) => r.EffectiveCost));
  return { hourStartMs, rows, fleetCostUsd, unpriced: unpriced.sort() };
}

/** Splits one node-hour over its jobs (and idle) by GPU-seconds; every money column is split on its own, exactly. */
function nodeRows(h: NodeHour, hourStartMs: number, options: AttributionOptions): AttributionRow[] {
  const { node } = h;
  const owners = h.jobs.map(jobOwner);
  let weights: (number | bigint)[];
  if (node.gpuPartition) {
    // Shared GPUs: a job's GPU-seconds count devices (slices, vGPUs, replicas); each is its exact share of the
    // physical GPU, in integer units of 1/den GPU-second, and what no device holds is idle.
    const share = deviceShare(node.gpuPartition, options.gpuShareBasis);
    const split = fractionalWeights(
      node.gpuCount,
      h.seconds,
      h.jobs.map((j) => j.gpuSeconds),
      share,
      node.gpuPartition,
    );
    owners.forEach((o, i) => (o.gpuSeconds = Number(split.weights[i]!) / share.den));
    weights = [...split.weights];
    if (owners.length === 0 || options.shareIdle === 'separate') {
      owners.push(idleOwner(node, Number(split.idle) / share.den));
      weights.push(split.idle);
    }
  } else {
    const capacity = node.gpuCount * h.seconds;
    const busy = h.jobs.reduce((a, j) => a + j.gpuSeconds, 0);
    const idleSeconds = Math.max(0, capacity - busy);
    if (owners.length === 0 || options.shareIdle === 'separate') owners.push(idleOwner(node, idleSeconds));
    weights = owners.map((o) => o.gpuSeconds);
  }
  const effective = splitLargestRemainder(h.charge.effectiveUsd, weights);
  const list = splitLargestRemainder(h.charge.listUsd, weights);
  const tags: Record<string, string> = {
    provider: node.provider,
    'instance-type': node.instanceType,
    'gpu-model': node.gpuModel,
    'gpu-count': String(node.gpuCount),
    ...(node.gpuPartition
      ? { 'gpu-partition': partitionKey(node.gpuPartition), 'gpu-share-basis': options.gpuShareBasis }
      : {}),
  };
  return (
    owners
      .map((owner, i) =>
        focusRow({
          hourStartMs,
          resourceId: node.nodeId,
          resourceType:
            node.provider === 'onprem' || node.provider === 'slurm' ? 'Bare Metal' : 'Virtual Machine',
          regionId: node.region,
          skuPriceId: h.rate.skuPriceId,
          poolId: node.poolId,
          option: node.purchaseOption,
          tags,
          owner,
          effectiveUsd: effective[i]!,
          listUsd: list[i]!,
          costSource: h.costSource,
        }),
      )
      // An idle line of nothing (every GPU-second used) is left out; its parts are all zero.
      .filter(
        (r) => r.x_JobId !== IDLE_OWNER || r.EffectiveCost !== 0n || r.ListCost !== 0n || r.x_GpuSeconds > 0,
      )
  );
}

function focusRow(r: {
  hourStartMs: number;
  resourceId: string;
  resourceType: string;
  regionId: string;
  skuPriceId: string;
  poolId: string;
  option: FleetNode['purchaseOption'];
  tags: Record<string, string>;
  owner: Owner;
  effectiveUsd: MicroUsd;
  listUsd: MicroUsd;
  costSource?: AttributionRow['x_CostSource'];
}): AttributionRow {
  return {
    // What is billed for a GPU-hour is its effective cost: amortized commitments and spot prices paid included.
    BilledCost: r.effectiveUsd,
    EffectiveCost: r.effectiveUsd,
    ListCost: r.listUsd,
    ChargeCategory: 'Usage',
    ChargePeriodStart: toRfc3339(r.hourStartMs),
    ChargePeriodEnd: toRfc3339(r.hourStartMs + HOUR_MS),
    PricingCategory: PRICING_CATEGORY[r.option],
    ResourceId: r.resourceId,
    ResourceType: r.resourceType,
    RegionId: r.regionId,
    SkuPriceId: r.skuPriceId,
    Tags: r.tags,
    x_JobId: r.owner.jobId,
    x_User: r.owner.user,
    x_Project: r.owner.project,
    x_Team: r.owner.team,
    x_PoolId: r.poolId,
    x_PurchaseOption: r.option,
    x_GpuSeconds: r.owner.gpuSeconds,
    x_CostSource: r.costSource ?? 'list',
  };
}
