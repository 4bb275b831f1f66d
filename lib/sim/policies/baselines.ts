// The peers the optimizer is measured against: how competent teams run GPU fleets today, each with a tunable headroom.
import { holdingKey, type Holdings } from '../scenario.ts';
import type { Policy, PolicyView } from '../engine.ts';
import { coverDemand, pooledCommitment } from './cover.ts';

/** The parameters a peer is tuned on (leave-one-trace-out, the same protocol as the optimizer's). */
export interface PeerParams {
  /** Capacity held over the last hour's demand, as a share of it. */
  headroom: number;
}

export const DEFAULT_PEER_PARAMS: PeerParams = { headroom: 0.1 };

function lastDemand(view: PolicyView): Map<string, number> {
  return new Map(
    view.scenario.classes.map((c) => {
      const h = view.demandHistory(c.workload.id);
      return [c.workload.id, h.length ? h[h.length - 1]! : 0];
    }),
  );
}

const withHeadroom = (view: PolicyView, headroom: number) =>
  new Map([...lastDemand(view)].map(([k, v]) => [k, v * (1 + headroom)]));

/** Static on-demand fleet sized to the highest demand seen so far (it grows when a new peak appears). */
export function onDemandPeakPolicy(): Policy {
  return {
    name: 'on-demand-peak',
    description: 'all on-demand, sized to the peak demand seen so far',
    decide(view) {
      const need = new Map(
        view.scenario.classes.map((c) => [c.workload.id, Math.max(0, ...view.demandHistory(c.workload.id))]),
      );
      return coverDemand(view.scenario, need, { useSpot: false, held: view.committed });
    },
  };
}

/** Scales on-demand capacity to the last hour's demand, like a cluster autoscaler with a one-hour lag. */
export function reactiveOnDemandPolicy(params: PeerParams = DEFAULT_PEER_PARAMS): Policy {
  return {
    name: 'reactive-on-demand',
    description: `on-demand scaled to last hour's demand + ${Math.round(params.headroom * 100)} % headroom`,
    decide(view) {
      return coverDemand(view.scenario, withHeadroom(view, params.headroom), {
        useSpot: false,
        held: view.committed,
      });
    },
  };
}

// Pools whose spot price is within this share of the cheapest count as equally cheap: among them the
// allocation follows spare capacity, as price-capacity-optimized allocation does.
const PRICE_BAND = 0.1;

/**
 * Spot for each class's spot share, spread over the pools like a price-capacity-optimized fleet: the cheap
 * pools (within `PRICE_BAND` of the cheapest) share the spot work in proportion to the capacity each can hold
 * now; pools that cannot hold their part pass it on to the next. Interrupted capacity is replaced in the same
 * hour (the decision is re-run on the notice) from whichever pools still have room; the rest is on-demand.
 */
function spotSpread(
  view: PolicyView,
  need: ReadonlyMap<string, number>,
  held: ReadonlyMap<string, number>,
): Holdings {
  const room = (poolId: string) =>
    (view.holdings.get(holdingKey(poolId, 'spot')) ?? 0) + view.spotLaunchable(poolId);
  const spotPools = view.scenario.pools.filter((p) => p.usdPerHour.spot !== undefined);
  const perGpu = (p: (typeof spotPools)[number]) => Number(p.usdPerHour.spot) / p.pool.gpusPerInstance;
  const cheapest = Math.min(...spotPools.map(perGpu));
  const band = spotPools.filter((p) => perGpu(p) <= cheapest * (1 + PRICE_BAND));
  const totalRoom = band.reduce((a, p) => a + room(p.pool.id) * p.pool.gpusPerInstance, 0);
  // Each pool's share of the spot work: its room over the band's room (the rest of the pools come after).
  const quota = new Map(
    band.map((p) => [p.pool.id, totalRoom > 0 ? (room(p.pool.id) * p.pool.gpusPerInstance) / totalRoom : 0]),
  );
  const spotNeed = [...need.values()].reduce((a, v) => a + v, 0);
  return coverDemand(view.scenario, need, {
    useSpot: true,
    held,
    spotLimit: (poolId) => {
      const q = quota.get(poolId);
      if (q === undefined) return room(poolId);
      const sp = view.scenario.pools.find((p) => p.pool.id === poolId)!;
      // Its share of the work, whole instances rounded up, never more than it can hold.
      return Math.min(room(poolId), Math.ceil((q * spotNeed) / sp.pool.gpusPerInstance));
    },
  });
}

/** Spot first with on-demand fallback, like Karpenter with price-capacity-optimized spot. */
export function spotFirstPolicy(params: PeerParams = DEFAULT_PEER_PARAMS): Policy {
  return {
    name: 'spot-first',
    description: `spot for each class's spot share spread price-capacity-optimized over the pools, re-run on notice, else on-demand; last hour + ${Math.round(params.headroom * 100)} %`,
    decide(view) {
      const spot = spotSpread(view, withHeadroom(view, params.headroom), view.committed);
      return spot;
    },
  };
}

/**
 * A FinOps team's setup: a 1-year reservation at the break-even level of the share spot does not take, sized
 * from a 30-day lookback; spot spread as in `spot-first` for the spot share; on-demand for the rest.
 */
export function spotReservedPolicy(
  params: PeerParams = DEFAULT_PEER_PARAMS,
  lookbackHours = 30 * 24,
): Policy {
  return {
    name: 'spot-reserved',
    description: `break-even reservation (30-day lookback) for the non-spot share + spot spread over the pools + on-demand; last hour + ${Math.round(params.headroom * 100)} %`,
    commitments(view) {
      // Sized as a cost tool recommends it: on the usage of every class the pool serves, together.
      return pooledCommitment(view, (classId) => {
        const c = view.scenario.classes.find((x) => x.workload.id === classId)!;
        return view
          .demandHistory(classId)
          .slice(-lookbackHours)
          .map((u) => u * (1 + params.headroom) * (1 - c.workload.spotShare));
      });
    },
    decide(view) {
      return spotSpread(view, withHeadroom(view, params.headroom), view.committed);
    },
  };
}
