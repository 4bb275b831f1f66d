// The policies the optimizer is measured against: how GPU fleets are commonly run today.
import { holdingKey } from '../scenario.ts';
import type { Policy, PolicyView } from '../engine.ts';
import { cheapestPool, commitmentLevel, coverDemand } from './cover.ts';

function lastDemand(view: PolicyView): Map<string, number> {
  return new Map(
    view.scenario.classes.map((c) => {
      const h = view.demandHistory(c.workload.id);
      return [c.workload.id, h.length ? h[h.length - 1]! : 0];
    }),
  );
}

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
export function reactiveOnDemandPolicy(headroom = 0.1): Policy {
  return {
    name: 'reactive-on-demand',
    description: `on-demand scaled to last hour's demand + ${Math.round(headroom * 100)} % headroom`,
    decide(view) {
      const need = new Map([...lastDemand(view)].map(([k, v]) => [k, v * (1 + headroom)]));
      return coverDemand(view.scenario, need, { useSpot: false, held: view.committed });
    },
  };
}

/** Spot first with on-demand fallback, like a node autoscaler with price-capacity-optimized spot. */
export function spotFirstPolicy(headroom = 0.1): Policy {
  return {
    name: 'spot-first',
    description: `spot up to each class's spot share where capacity exists, else on-demand; last hour + ${Math.round(headroom * 100)} %`,
    decide(view) {
      const need = new Map([...lastDemand(view)].map(([k, v]) => [k, v * (1 + headroom)]));
      return coverDemand(view.scenario, need, {
        useSpot: true,
        held: view.committed,
        // Held spot stays; a launch gets only what the pool has right now.
        spotLimit: (poolId) =>
          (view.holdings.get(holdingKey(poolId, 'spot')) ?? 0) + view.spotLaunchable(poolId),
      });
    },
  };
}

/** A 1-year commitment at the level a 30-day lookback recommends, with reactive on-demand for the rest. */
export function commitmentPolicy(lookbackHours = 30 * 24, headroom = 0.1): Policy {
  return {
    name: 'commitment',
    description: '1-year commitment at a 30-day-lookback recommendation + reactive on-demand',
    commitments(view) {
      const out = new Map<string, number>();
      for (const c of view.scenario.classes) {
        const pool = cheapestPool(view.scenario, c.workload.id, 'reserved');
        if (!pool) continue;
        const usage = view.demandHistory(c.workload.id).slice(-lookbackHours);
        const gpus = commitmentLevel(
          usage,
          pool.usdPerHour.reserved!,
          pool.usdPerHour['on-demand'] ?? pool.usdPerHour.reserved!,
        );
        const n = Math.floor(gpus / pool.pool.gpusPerInstance);
        if (n > 0) out.set(pool.pool.id, (out.get(pool.pool.id) ?? 0) + n);
      }
      return out;
    },
    decide(view) {
      const need = new Map([...lastDemand(view)].map(([k, v]) => [k, v * (1 + headroom)]));
      return coverDemand(view.scenario, need, { useSpot: false, held: view.committed });
    },
  };
}
