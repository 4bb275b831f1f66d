// The replay's scheduler and agents: places each hour's demand on the cloud's live nodes, then reports every node's 5-minute windows as its agent would.
import { identityOf } from '../../connectors/identify.ts';
import type { FleetNode } from '../../domain/fleet.ts';
import { HOUR_MS, toRfc3339, WINDOW_SECONDS, windowStartsIn } from '../../domain/time.ts';
import type { UtilizationBatch } from '../../domain/usage.ts';
import { serveHour } from '../serve.ts';
import { holdingKey, type Holdings, type Scenario } from '../scenario.ts';

/** GPUs of one node given to one class for the hour. */
export interface Placement {
  classId: string;
  gpus: number;
}

export interface HourPlacement {
  /** Per node id, the classes on its GPUs (lowest GPU indexes first). */
  byNode: Map<string, Placement[]>;
  /** Demand no live node could take: filled late by on-demand capacity. */
  shortfall: Map<string, number>;
  idleGpus: number;
}

/** The job a class's work runs as in the replay: one long-running job per class, as a training queue would. */
export function simJobId(classId: string): string {
  return `sim-job-${classId}`;
}

/**
 * Places whole GPUs: demand is rounded to GPUs per class, served from the live nodes the way the fast engine
 * serves held capacity (owned and committed first, then cheapest, spot within each class's spot share), and
 * each pool|option's share is laid on its nodes oldest first, so that the newest nodes are the idle ones.
 */
export function placeDemand(
  scenario: Scenario,
  nodes: readonly FleetNode[],
  demand: ReadonlyMap<string, number>,
): HourPlacement {
  const holdings: Holdings = new Map();
  const nodesByKey = new Map<string, FleetNode[]>();
  for (const n of nodes) {
    const key = holdingKey(n.poolId, n.purchaseOption);
    holdings.set(key, (holdings.get(key) ?? 0) + 1);
    nodesByKey.set(key, [...(nodesByKey.get(key) ?? []), n]);
  }
  const wholeGpus = new Map([...demand].map(([id, gpus]) => [id, Math.round(gpus)]));
  const service = serveHour(scenario.pools, scenario.classes, wholeGpus, holdings);
  const byNode = new Map<string, Placement[]>();
  const taken = new Map<string, number>(); // node id → GPUs handed out
  const allocated = new Map<string, number>(); // class id → whole GPUs placed
  const place = (classId: string, key: string, gpus: number) => {
    let left = gpus;
    for (const n of nodesByKey.get(key) ?? []) {
      if (left <= 0) break;
      const free = n.gpuCount - (taken.get(n.nodeId) ?? 0);
      if (free <= 0) continue;
      const put = Math.min(free, left);
      taken.set(n.nodeId, (taken.get(n.nodeId) ?? 0) + put);
      byNode.set(n.nodeId, [...(byNode.get(n.nodeId) ?? []), { classId, gpus: put }]);
      allocated.set(classId, (allocated.get(classId) ?? 0) + put);
      left -= put;
    }
  };
  for (const a of service.allocations) place(a.classId, a.key, Math.floor(a.gpus + 1e-9));
  // The service splits a class's whole GPUs over options in fractions (its spot share); each part rounded down
  // leaves up to a GPU per part unplaced. Those go, in the same order, on the free GPUs of the pools and options
  // that already serve the class, before anything counts as short.
  for (const a of service.allocations) {
    const unplaced = (wholeGpus.get(a.classId) ?? 0) - (allocated.get(a.classId) ?? 0);
    if (unplaced > 0) place(a.classId, a.key, unplaced);
  }
  const shortfall = new Map<string, number>();
  for (const [id, gpus] of wholeGpus) {
    const short = gpus - (allocated.get(id) ?? 0);
    if (short > 0) shortfall.set(id, short);
  }
  const heldGpus = nodes.reduce((a, n) => a + n.gpuCount, 0);
  const placed = [...allocated.values()].reduce((a, b) => a + b, 0);
  return { byNode, shortfall, idleGpus: heldGpus - placed };
}

/**
 * The batches a node's agent sends for one hour: one per 5-minute window, one reading per GPU. A node launched
 * this hour reports only once it has booted; its placed work waited for it (late).
 */
export function agentBatches(
  scenario: Scenario,
  node: FleetNode,
  placements: readonly Placement[],
  hourStartMs: number,
  bootSeconds: number,
): UtilizationBatch[] {
  const launchedMs = node.launchedAt ? Date.parse(node.launchedAt) : -Infinity;
  const readyMs = launchedMs + bootSeconds * 1000;
  const teamOf = new Map(scenario.classes.map((c) => [c.workload.id, c.workload]));
  // GPU index → class on it.
  const classOnGpu: (string | undefined)[] = [];
  for (const p of placements) for (let i = 0; i < p.gpus; i++) classOnGpu.push(p.classId);
  const batches: UtilizationBatch[] = [];
  for (const windowMs of windowStartsIn(hourStartMs, hourStartMs + HOUR_MS)) {
    if (windowMs < readyMs) continue;
    const at = toRfc3339(windowMs);
    batches.push({
      schemaVersion: '1',
      node: identityOf(node),
      bootId: `boot-${node.nodeId}`,
      windowStart: at,
      sampleIntervalSeconds: WINDOW_SECONDS,
      gpus: Array.from({ length: node.gpuCount }, (_, index) => {
        const classId = classOnGpu[index];
        const workload = classId ? teamOf.get(classId) : undefined;
        return {
          index,
          uuid: `GPU-${node.nodeId}-${index}`,
          model: node.gpuModel,
          memoryTotalMiB: 16384,
          readings: [
            {
              at,
              utilizationPct: classId ? 95 : 0,
              memoryUsedMiB: classId ? 12000 : 0,
              powerW: classId ? 250 : 40,
              temperatureC: classId ? 65 : 35,
            },
          ],
          processes:
            classId && workload
              ? [
                  {
                    pid: 1000 + index,
                    usedMemoryMiB: 12000,
                    jobId: simJobId(classId),
                    team: workload.team,
                    ...(workload.project ? { project: workload.project } : {}),
                  },
                ]
              : [],
        };
      }),
    });
  }
  return batches;
}

/** GPU-hours of placed work that waited for nodes still booting this hour. */
export function bootWaitGpuHours(
  node: FleetNode,
  placements: readonly Placement[],
  hourStartMs: number,
  bootSeconds: number,
): number {
  const launchedMs = node.launchedAt ? Date.parse(node.launchedAt) : -Infinity;
  const readyMs = launchedMs + bootSeconds * 1000;
  if (readyMs <= hourStartMs) return 0;
  const waited = Math.min(HOUR_MS, readyMs - hourStartMs) / HOUR_MS;
  return placements.reduce((a, p) => a + p.gpus, 0) * waited;
}
