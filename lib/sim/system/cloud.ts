// The simulated cloud of the system replay: a CapacityProvider over a scenario's pools, with real spot capacity, EC2-shaped ids and an hourly bill.
import { isLive, type FleetNode } from '../../domain/fleet.ts';
import { poolOptionKey, type PurchaseOption } from '../../domain/pool.ts';
import type { CapacityProvider, Clock, LaunchRequest, ReleaseRequest } from '../../domain/ports.ts';
import type { PriceQuote } from '../../domain/price.ts';
import { HOUR_MS, parseRfc3339 } from '../../domain/time.ts';
import { createMemoryCapacityProvider } from '../../memory/capacity-provider.ts';
import { scenarioQuotes } from '../policies/optimizer.ts';
import { spotAvailableAt, type Scenario } from '../scenario.ts';

export interface CloudBillLine {
  nodeId: string;
  poolId: string;
  option: PurchaseOption;
  seconds: number;
  usdPerHour: bigint;
}

export interface SimulatedCloud extends CapacityProvider {
  /** Sets the spot capacity of every pool to what the availability trace says for this hour. */
  openHour(hour: number): void;
  /** Spot nodes above their pool's capacity this hour: the ones the market takes back (any of them, busy or not). */
  spotOverCapacity(hour: number): FleetNode[];
  /** Ends a node from outside (a spot interruption): it stops at once, as after its 2-minute notice. */
  interrupt(nodeId: string): void;
  /** Nodes live now. */
  liveNodes(): FleetNode[];
  /** What each node ran in [hourStartMs, +1 h), at the cloud's list prices. */
  bill(hourStartMs: number): CloudBillLine[];
  /** Launch requests refused for want of capacity, in instances. */
  readonly refusedInstances: number;
  readonly quotes: readonly PriceQuote[];
}

const ENDED_VISIBLE_MS = HOUR_MS;

/** EC2 instance ids are `i-` and 17 hex digits; the replay's nodes look the same so EC2-shaped events parse. */
export function simInstanceId(sequence: number): string {
  return `i-${sequence.toString(16).padStart(17, '0')}`;
}

/** A number in [0, 2^32) fixed by the node and hour (FNV-1a): the same replay interrupts the same nodes. */
function draw(nodeId: string, hour: number): number {
  let h = 0x811c9dc5;
  for (const c of `${nodeId}@${hour}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export function createSimulatedCloud(scenario: Scenario, clock: Clock): SimulatedCloud {
  const quotes = scenarioQuotes(scenario, scenario.startMs);
  const inner = createMemoryCapacityProvider({
    name: 'sim-cloud',
    pools: scenario.pools.map((p) => p.pool),
    prices: quotes,
    clock,
    releaseMethods: ['terminate', 'stop'],
    nodeId: simInstanceId,
  });
  const price = new Map(quotes.map((q) => [poolOptionKey(q.poolId, q.option), q.usdPerHour]));
  // When each ended node ended: EC2 lists ended instances for about an hour.
  const endedAtMs = new Map<string, number>();
  // Every node ever launched, as the cloud last described it: what the bill is read from.
  const history = new Map<string, FleetNode>();
  let refused = 0;

  const end = (nodeId: string) => endedAtMs.set(nodeId, clock.now());

  async function refresh(): Promise<FleetNode[]> {
    const nodes = await inner.nodes();
    for (const n of nodes) history.set(n.nodeId, n);
    return nodes;
  }

  return {
    name: 'sim-cloud',
    quotes,
    get refusedInstances() {
      return refused;
    },
    pools: () => inner.pools(),
    prices: () => inner.prices(),
    mark: (nodeId, mark) => inner.mark(nodeId, mark),
    unmark: (nodeId) => inner.unmark(nodeId),
    utilization: () => Promise.resolve([]),
    queue: () => inner.queue(),
    async nodes() {
      const nowMs = clock.now();
      return (await refresh()).filter((n) => {
        const at = endedAtMs.get(n.nodeId);
        return at === undefined || nowMs - at < ENDED_VISIBLE_MS;
      });
    },
    async launch(request: LaunchRequest) {
      if (!price.has(poolOptionKey(request.poolId, request.option))) {
        return {
          launched: [],
          failures: [
            {
              ...request,
              code: 'unsupported' as const,
              message: `${request.poolId} does not sell ${request.option}`,
            },
          ],
        };
      }
      const outcome = await inner.launch(request);
      for (const f of outcome.failures) if (f.code === 'insufficient-capacity') refused += f.count;
      for (const n of outcome.launched) history.set(n.nodeId, n);
      return outcome;
    },
    async release(request: ReleaseRequest) {
      const outcome = await inner.release(request);
      for (const id of outcome.released) end(id);
      await refresh();
      return outcome;
    },
    openHour(hour) {
      for (const sp of scenario.pools) {
        if (sp.usdPerHour.spot === undefined) continue;
        const available = spotAvailableAt(sp, hour);
        if (Number.isFinite(available)) inner.setCapacity(sp.pool.id, 'spot', available);
      }
    },
    spotOverCapacity(hour) {
      const victims: FleetNode[] = [];
      for (const sp of scenario.pools) {
        if (sp.usdPerHour.spot === undefined) continue;
        const available = spotAvailableAt(sp, hour);
        // The market takes back instances without regard to what runs on them: a fixed pseudo-random order.
        const spot = [...history.values()]
          .filter((n) => n.poolId === sp.pool.id && n.purchaseOption === 'spot' && isLive(n))
          .sort((a, b) => draw(a.nodeId, hour) - draw(b.nodeId, hour));
        victims.push(...spot.slice(0, Math.max(0, spot.length - available)));
      }
      return victims;
    },
    interrupt(nodeId) {
      inner.interrupt(nodeId);
      end(nodeId);
      const node = history.get(nodeId);
      if (node) history.set(nodeId, { ...node, state: 'terminated' });
    },
    liveNodes() {
      return [...history.values()].filter(isLive).sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    },
    bill(hourStartMs) {
      const lines: CloudBillLine[] = [];
      const hourEndMs = hourStartMs + HOUR_MS;
      for (const n of history.values()) {
        const fromMs = Math.max(hourStartMs, n.launchedAt ? parseRfc3339(n.launchedAt) : hourStartMs);
        const toMs = Math.min(hourEndMs, endedAtMs.get(n.nodeId) ?? hourEndMs);
        if (toMs <= fromMs) continue;
        const usdPerHour = price.get(poolOptionKey(n.poolId, n.purchaseOption));
        if (usdPerHour === undefined) throw new Error(`no ${n.purchaseOption} price for ${n.poolId}`);
        lines.push({
          nodeId: n.nodeId,
          poolId: n.poolId,
          option: n.purchaseOption,
          seconds: (toMs - fromMs) / 1000,
          usdPerHour,
        });
      }
      return lines.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    },
  };
}
