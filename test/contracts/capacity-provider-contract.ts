// The behaviour every CapacityProvider promises; run against the in-memory fleet and every real adapter.
import { describe, expect, it } from 'vitest';
import { isLive, zFleetNode, type ReleaseMethod } from '../../lib/domain/fleet.ts';
import { zPool, type PurchaseOption } from '../../lib/domain/pool.ts';
import { NodeNotFoundError, type CapacityProvider } from '../../lib/domain/ports.ts';

export interface CapacityProviderHarness {
  provider: CapacityProvider;
  /** A managed, live, unprotected node that `releaseMethod` may release. */
  releasableNodeId: string;
  /** A live node tagged protected. */
  protectedNodeId: string;
  releaseMethod: ReleaseMethod;
  /** Where launches work and how many more instances fit (Infinity = no limit); null if the fleet cannot launch. */
  launch: { poolId: string; option: PurchaseOption; available: number } | null;
  cleanup?: () => Promise<void>;
}

async function nodeById(provider: CapacityProvider, nodeId: string) {
  return (await provider.nodes()).find((n) => n.nodeId === nodeId);
}

export function describeCapacityProviderContract(
  name: string,
  makeHarness: () => Promise<CapacityProviderHarness>,
) {
  describe(`CapacityProvider contract: ${name}`, () => {
    async function withHarness(body: (h: CapacityProviderHarness) => Promise<void>) {
      const h = await makeHarness();
      try {
        await body(h);
      } finally {
        await h.cleanup?.();
      }
    }

    it('lists pools and nodes that satisfy the domain schemas', () =>
      withHarness(async ({ provider }) => {
        const pools = await provider.pools();
        expect(pools.length).toBeGreaterThan(0);
        for (const pool of pools) expect(zPool.safeParse(pool).success, JSON.stringify(pool)).toBe(true);
        const nodes = await provider.nodes();
        expect(nodes.length).toBeGreaterThan(0);
        for (const node of nodes) expect(zFleetNode.safeParse(node).success, JSON.stringify(node)).toBe(true);
      }));

    it('launches within capacity, and reports the part it cannot launch instead of failing', () =>
      withHarness(async ({ provider, launch }) => {
        if (!launch) return;
        const one = await provider.launch({ poolId: launch.poolId, option: launch.option, count: 1 });
        expect(one.failures).toEqual([]);
        expect(one.launched).toHaveLength(1);
        const launchedId = one.launched[0]!.nodeId;
        const listed = await nodeById(provider, launchedId);
        expect(listed?.purchaseOption).toBe(launch.option);
        expect(listed && isLive(listed)).toBe(true);
        if (Number.isFinite(launch.available)) {
          const left = launch.available - 1;
          const tooMany = await provider.launch({
            poolId: launch.poolId,
            option: launch.option,
            count: left + 2,
          });
          expect(tooMany.launched).toHaveLength(left);
          expect(tooMany.failures).toHaveLength(1);
          expect(tooMany.failures[0]).toMatchObject({ code: 'insufficient-capacity', count: 2 });
        }
      }));

    it('never releases a protected node', () =>
      withHarness(async ({ provider, protectedNodeId, releaseMethod }) => {
        const outcome = await provider.release({ nodeIds: [protectedNodeId], method: releaseMethod });
        expect(outcome.released).toEqual([]);
        expect(outcome.refused.map((r) => r.nodeId)).toEqual([protectedNodeId]);
        expect(outcome.refused[0]!.reason).toMatch(/protect/i);
        const node = await nodeById(provider, protectedNodeId);
        expect(node && isLive(node)).toBe(true);
      }));

    it('releases what it may and reports the rest: a partial failure, not an exception', () =>
      withHarness(async ({ provider, releasableNodeId, protectedNodeId, releaseMethod }) => {
        const outcome = await provider.release({
          nodeIds: [releasableNodeId, protectedNodeId, 'no-such-node-0000'],
          method: releaseMethod,
        });
        expect(outcome.released).toEqual([releasableNodeId]);
        expect(outcome.refused.map((r) => r.nodeId).sort()).toEqual(
          ['no-such-node-0000', protectedNodeId].sort(),
        );
        const node = await nodeById(provider, releasableNodeId);
        expect(node === undefined || !isLive(node)).toBe(true);
      }));

    it('marks and unmarks a node, visibly in the node list', () =>
      withHarness(async ({ provider, releasableNodeId }) => {
        const mark = { markedAt: '2026-01-05T10:00:00Z', reason: 'idle for 30 min' };
        await provider.mark(releasableNodeId, mark);
        expect((await nodeById(provider, releasableNodeId))?.mark).toEqual(mark);
        await provider.unmark(releasableNodeId);
        expect((await nodeById(provider, releasableNodeId))?.mark).toBeUndefined();
      }));

    it('refuses to mark a node it does not have', () =>
      withHarness(async ({ provider }) => {
        await expect(
          provider.mark('no-such-node-0000', { markedAt: '2026-01-05T10:00:00Z', reason: 'x' }),
        ).rejects.toBeInstanceOf(NodeNotFoundError);
      }));
  });
}
