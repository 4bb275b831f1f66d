// The actuator on an in-memory fleet: recommend records, enforce acts, refusals are typed and in the ledger, and the caps hold.
import { describe, expect, it } from 'vitest';
import { createActuator, type ActuatorOptions } from '../../lib/actuator/actuator.ts';
import { createConnectorRegistry } from '../../lib/connectors/registry.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { Action } from '../../lib/domain/plan.ts';
import { createMemoryCapacityProvider } from '../../lib/memory/capacity-provider.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { node, pool, quote, START_MS } from '../optimizer/builders.ts';

const p4d = pool('aws:p4d');
const prices = [quote('aws:p4d', 'on-demand', '32.77'), quote('aws:p4d', 'spot', '9.83')];

function launch(count: number, option: 'spot' | 'on-demand' = 'spot'): Action {
  return {
    actionId: `launch:${option}:${count}`,
    kind: 'launch',
    poolId: p4d.id,
    option,
    count,
    nodeIds: [],
    reason: 'test',
    mode: 'enforce',
    status: 'recommended',
  };
}
function release(n: FleetNode): Action {
  return {
    actionId: `release:${n.nodeId}`,
    kind: 'release',
    poolId: n.poolId,
    option: n.purchaseOption,
    count: 1,
    nodeIds: [n.nodeId],
    reason: 'test',
    mode: 'enforce',
    status: 'recommended',
  };
}

function setUp(
  nodes: FleetNode[],
  fields: Partial<ActuatorOptions> = {},
  releaseMethods?: ('stop' | 'drain')[],
) {
  const provider = createMemoryCapacityProvider({
    pools: [p4d],
    prices,
    nodes,
    ...(releaseMethods ? { releaseMethods } : {}),
  });
  const store = createMemoryStore();
  const actuator = createActuator({
    lever: 'rebalance',
    mode: 'enforce',
    killSwitch: false,
    connectors: createConnectorRegistry([provider]).index(),
    nowMs: START_MS,
    fleet: nodes,
    evidence: new Map(nodes.map((n) => [n.nodeId, { gpuReadings: 6, jobs: [] }])),
    ledger: store.ledger,
    ...fields,
  });
  return { provider, store, actuator };
}

describe('actuator', () => {
  it('only records in recommend mode and hands actions to the provider in enforce mode', async () => {
    const od = node('i-1', p4d, 'on-demand');
    const recommend = setUp([od], { mode: 'recommend' });
    const recommended = [
      (await recommend.actuator.launch(launch(1))).action,
      await recommend.actuator.release(release(od)),
    ];
    expect(recommended.map((a) => a.status)).toEqual(['recommended', 'recommended']);
    expect((await recommend.provider.nodes()).map((n) => n.state)).toEqual(['running']);

    const enforce = setUp([od]);
    const launched = await enforce.actuator.launch(launch(1), { team: 'llm' });
    expect(launched.action).toMatchObject({ status: 'done', nodeIds: [launched.launched[0]!.nodeId] });
    expect(launched.launched[0]!.labels.team).toBe('llm');
    const released = await enforce.actuator.release(release(od));
    // The one release-method table: an on-demand cloud VM is stopped.
    expect(released).toMatchObject({ status: 'done', releaseMethod: 'stop' });
    const live = (await enforce.provider.nodes()).filter(
      (n) => n.state === 'running' || n.state === 'pending',
    );
    expect(live.map((n) => n.purchaseOption)).toEqual(['spot']);
  });

  it('refuses with a typed reason on the action, and records it in the ledger once an hour', async () => {
    const guarded = node('i-guarded', p4d, 'on-demand', { protected: true });
    const { actuator, store, provider } = setUp([guarded]);
    const first = await actuator.release(release(guarded));
    expect(first).toMatchObject({ status: 'refused', refusal: { code: 'protected' } });
    await actuator.release(release(guarded));
    const ledger = await store.ledger.between(0, Number.MAX_SAFE_INTEGER);
    expect(ledger).toEqual([
      expect.objectContaining({
        lever: 'rebalance',
        target: 'i-guarded',
        status: 'refused',
        refusal: first.refusal,
      }),
    ]);
    expect((await provider.nodes())[0]!.state).toBe('running');
  });

  it('passes on what the provider says when it refuses, and names a pool no provider owns', async () => {
    const od = node('i-1', p4d, 'on-demand');
    const { actuator } = setUp([od], {}, ['drain']);
    expect(await actuator.release(release(od))).toMatchObject({
      status: 'refused',
      refusal: { code: 'provider-refused', detail: 'memory does not offer stop' },
    });
    expect((await actuator.launch({ ...launch(1), poolId: 'gcp:elsewhere' })).action).toMatchObject({
      status: 'refused',
      refusal: { code: 'no-provider' },
    });
  });

  it('holds the per-run caps across launches and releases', async () => {
    const nodes = [1, 2, 3].map((i) => node(`i-${i}`, p4d, 'on-demand'));
    const { actuator } = setUp(nodes, { caps: { maxActions: 3, maxReleases: 1 } });
    const outcomes = [
      (await actuator.launch(launch(2))).action,
      await actuator.release(release(nodes[0]!)),
      await actuator.release(release(nodes[1]!)),
      (await actuator.launch(launch(1))).action,
      (await actuator.launch(launch(1))).action,
    ];
    expect(outcomes.map((a) => a.refusal?.code ?? a.status)).toEqual([
      'done',
      'done',
      'run-cap',
      'done',
      'run-cap',
    ]);
  });

  it('stops every change with the kill switch, in either mode', async () => {
    const od = node('i-1', p4d, 'on-demand');
    for (const mode of ['recommend', 'enforce'] as const) {
      const { actuator } = setUp([od], { mode, killSwitch: true });
      expect((await actuator.launch(launch(1))).action.refusal?.code).toBe('kill-switch');
      expect((await actuator.release(release(od))).refusal?.code).toBe('kill-switch');
      expect((await actuator.unmark(od)).refusal?.code).toBe('kill-switch');
    }
  });
});
