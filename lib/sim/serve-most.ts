// Shared capacity serves the most demand it can in an hour: the greedy's assignment rerouted to a maximum flow.
import type { PurchaseOption } from '../domain/pool.ts';
import { poolServesClass, type WorkloadClass } from '../domain/workload.ts';
import type { Allocation, ClassService } from './serve.ts';

/** One held pool|option's GPUs in the hour. */
export interface ServeSlot {
  key: string;
  poolId: string;
  spot: boolean;
  gpus: number;
}

interface Edge {
  to: number;
  capacity: number;
  flow: number;
  reverse: number;
}

const EPS = 1e-9;

/**
 * Reroutes an assignment of shared GPUs to classes (`assigned[c][s]`, GPUs of slot s serving class c) until no
 * more demand can be served on time: each class at most its demand, on spot at most its spot share of it, on
 * the pools it may use; each slot at most its GPUs. A greedy pass can leave a class late while another class
 * holds the capacity it needed and could have moved to spot: the augmenting paths of a maximum flow move it.
 * The assignment only grows what is served; it starts from, and stays close to, the greedy's.
 */
export function rerouteToMostServed(
  classes: readonly { workload: WorkloadClass }[],
  demand: readonly number[],
  slots: readonly ServeSlot[],
  pools: ReadonlyMap<string, { pool: Parameters<typeof poolServesClass>[0] }>,
  assigned: number[][],
): void {
  // Nodes: source, each class, each class's spot share, each slot, sink.
  const C = classes.length;
  const source = 0;
  const classNode = (c: number) => 1 + c;
  const spotNode = (c: number) => 1 + C + c;
  const slotNode = (s: number) => 1 + 2 * C + s;
  const sink = 1 + 2 * C + slots.length;
  const graph: Edge[][] = Array.from({ length: sink + 1 }, () => []);
  const add = (from: number, to: number, capacity: number, flow: number): Edge => {
    const edge = { to, capacity, flow, reverse: graph[to]!.length };
    graph[from]!.push(edge);
    graph[to]!.push({ to: from, capacity: 0, flow: -flow, reverse: graph[from]!.length - 1 });
    return edge;
  };
  const link: (Edge | undefined)[][] = classes.map(() => slots.map(() => undefined));
  classes.forEach((c, ci) => {
    const served = assigned[ci]!.reduce((a, g) => a + g, 0);
    const onSpot = assigned[ci]!.reduce((a, g, s) => a + (slots[s]!.spot ? g : 0), 0);
    add(source, classNode(ci), demand[ci]!, served);
    const share = Math.min(1, Math.max(0, c.workload.spotShare));
    add(classNode(ci), spotNode(ci), share * demand[ci]!, onSpot);
    slots.forEach((slot, s) => {
      if (!poolServesClass(pools.get(slot.poolId)!.pool, c.workload)) return;
      const from = slot.spot ? spotNode(ci) : classNode(ci);
      link[ci]![s] = add(from, slotNode(s), Number.POSITIVE_INFINITY, assigned[ci]![s]!);
    });
  });
  slots.forEach((slot, s) => {
    const used = assigned.reduce((a, row) => a + row[s]!, 0);
    add(slotNode(s), sink, slot.gpus, used);
  });

  // Breadth-first augmenting paths (Edmonds–Karp): a few per hour, the graph has tens of nodes.
  for (;;) {
    const via: ({ from: number; edge: Edge } | undefined)[] = new Array(graph.length);
    const queue = [source];
    via[source] = { from: -1, edge: undefined as unknown as Edge };
    while (queue.length > 0 && via[sink] === undefined) {
      const node = queue.shift()!;
      for (const edge of graph[node]!) {
        if (via[edge.to] !== undefined || edge.capacity - edge.flow <= EPS) continue;
        via[edge.to] = { from: node, edge };
        queue.push(edge.to);
      }
    }
    if (via[sink] === undefined) break;
    let push = Number.POSITIVE_INFINITY;
    for (let node = sink; node !== source; node = via[node]!.from)
      push = Math.min(push, via[node]!.edge.capacity - via[node]!.edge.flow);
    if (push <= EPS) break;
    for (let node = sink; node !== source; node = via[node]!.from) {
      const edge = via[node]!.edge;
      edge.flow += push;
      graph[edge.to]![edge.reverse]!.flow -= push;
    }
  }
  link.forEach((row, ci) =>
    row.forEach((edge, s) => {
      if (edge) assigned[ci]![s] = Math.max(0, edge.flow);
    }),
  );
}

/**
 * The greedy's service of shared capacity, rerouted to serve the most on time: `remaining` are the greedy's
 * slots after it served (GPUs left), `allocations` what it gave. Returns the classes' service and allocations.
 */
export function mostServed(
  pools: ReadonlyMap<string, { pool: Parameters<typeof poolServesClass>[0] }>,
  order: readonly { workload: WorkloadClass }[],
  demandByClass: ReadonlyMap<string, number>,
  remaining: readonly { key: string; poolId: string; option: PurchaseOption; gpus: number }[],
  allocations: readonly Allocation[],
): { classes: ClassService[]; allocations: Allocation[]; usedGpusByOption: Record<PurchaseOption, number> } {
  const slotIndex = new Map(remaining.map((s, i) => [s.key, i]));
  const classIndex = new Map(order.map((c, i) => [c.workload.id, i]));
  const assigned = order.map(() => remaining.map(() => 0));
  const held = remaining.map((s) => s.gpus);
  for (const a of allocations) {
    assigned[classIndex.get(a.classId)!]![slotIndex.get(a.key)!]! += a.gpus;
    held[slotIndex.get(a.key)!]! += a.gpus;
  }
  const demand = order.map((c) => demandByClass.get(c.workload.id) ?? 0);
  rerouteToMostServed(
    order,
    demand,
    remaining.map((s, i) => ({ key: s.key, poolId: s.poolId, spot: s.option === 'spot', gpus: held[i]! })),
    pools,
    assigned,
  );
  const usedGpusByOption: Record<PurchaseOption, number> = {
    'on-prem': 0,
    reserved: 0,
    spot: 0,
    'on-demand': 0,
  };
  const out: Allocation[] = [];
  const classes = order.map((c, ci) => {
    let served = 0;
    let spotGpus = 0;
    remaining.forEach((slot, s) => {
      const gpus = assigned[ci]![s]!;
      if (gpus <= EPS) return;
      out.push({ classId: c.workload.id, key: slot.key, gpus });
      usedGpusByOption[slot.option] += gpus;
      served += gpus;
      if (slot.option === 'spot') spotGpus += gpus;
    });
    const need = demand[ci]!;
    return {
      classId: c.workload.id,
      demandGpus: need,
      servedGpus: Math.min(need, served),
      spotGpus,
      shortfallGpus: Math.max(0, need - served),
    };
  });
  return { classes, allocations: out, usedGpusByOption };
}
