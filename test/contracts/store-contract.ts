// The behaviour every Store implementation owes its callers; run it against each with describeStoreContract.
import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, WINDOW_MS } from '../../lib/domain/time.ts';
import type { DemandHour } from '../../lib/domain/demand.ts';
import type { Store } from '../../lib/domain/ports.ts';
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { ValidationError } from '../../lib/domain/validation.ts';
import { describeBillRepositoryContract } from '../bills/repository-contract.ts';
import {
  HUGE_USD,
  T0,
  sampleAttributionRow,
  sampleClass,
  sampleForecast,
  sampleLedgerEntry,
  sampleNode,
  samplePlan,
  samplePrice,
  sampleRollup,
} from '../support/store-samples.ts';

const rollupOrder = (r: WindowRollup) => `${r.windowStart}|${r.node.nodeId}|${r.eventId}`;
const sortRollups = (rs: WindowRollup[]) =>
  [...rs].sort((a, b) => rollupOrder(a).localeCompare(rollupOrder(b)));

export function describeStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    describe('rollups', () => {
      it('gives back what was put, float figures and all', async () => {
        const store = await makeStore();
        const rollup = sampleRollup('n1', T0);
        await store.rollups.put([rollup]);
        expect(await store.rollups.forNode('n1', T0, T0 + WINDOW_MS)).toEqual([rollup]);
      });

      it('reads windows in [from, to): the window at `to` is left out', async () => {
        const store = await makeStore();
        const windows = [0, 1, 2, 3].map((k) => sampleRollup('n1', T0 + k * WINDOW_MS));
        await store.rollups.put(windows);
        const got = await store.rollups.forNode('n1', T0 + WINDOW_MS, T0 + 3 * WINDOW_MS);
        expect(sortRollups(got)).toEqual(windows.slice(1, 3));
        expect(await store.rollups.forNode('n1', T0 + WINDOW_MS, T0 + WINDOW_MS)).toEqual([]);
        expect(await store.rollups.forNode('n2', T0, T0 + DAY_MS)).toEqual([]);
      });

      it('reads every node across a UTC midnight with between, oldest first', async () => {
        const store = await makeStore();
        const beforeMidnight = T0 + DAY_MS - WINDOW_MS;
        const put = [
          sampleRollup('a', beforeMidnight),
          sampleRollup('b', beforeMidnight),
          sampleRollup('a', T0 + DAY_MS),
          sampleRollup('b', T0 + DAY_MS + WINDOW_MS),
          sampleRollup('c', T0 + 3 * DAY_MS),
        ];
        await store.rollups.put(put);
        const got = await store.rollups.between(beforeMidnight, T0 + DAY_MS + 2 * WINDOW_MS);
        expect(sortRollups(got)).toEqual(sortRollups(put.slice(0, 4)));
        const times = got.map((r) => Date.parse(r.windowStart));
        expect(times).toEqual([...times].sort((x, y) => x - y));
      });

      it('keeps one item for a redelivered rollup, in one call or two', async () => {
        const store = await makeStore();
        const rollup = sampleRollup('n1', T0);
        await store.rollups.put([rollup, rollup]);
        await store.rollups.put([rollup]);
        expect(await store.rollups.forNode('n1', T0, T0 + WINDOW_MS)).toEqual([rollup]);
        expect(await store.rollups.between(T0, T0 + WINDOW_MS)).toHaveLength(1);
      });

      it('keeps both partial rollups of one window when the agent restarted (two event ids)', async () => {
        const store = await makeStore();
        const first = sampleRollup('n1', T0, { bootId: 'boot-1' });
        const second = sampleRollup('n1', T0, { bootId: 'boot-2' });
        await store.rollups.put([first, second]);
        expect(sortRollups(await store.rollups.forNode('n1', T0, T0 + WINDOW_MS))).toEqual(
          sortRollups([first, second]),
        );
      });

      it('refuses an invalid rollup and names the field', async () => {
        const store = await makeStore();
        const bad = { ...sampleRollup('n1', T0), windowStart: 'yesterday' };
        await expect(store.rollups.put([bad])).rejects.toThrow(/windowStart/);
        expect(await store.rollups.between(0, T0 + DAY_MS)).toEqual([]);
      });

      it('is not changed by changing what was put or what was read', async () => {
        const store = await makeStore();
        const rollup = sampleRollup('n1', T0);
        const kept = structuredClone(rollup);
        await store.rollups.put([rollup]);
        rollup.gpus[0]!.busySeconds = 999;
        const [read] = await store.rollups.forNode('n1', T0, T0 + WINDOW_MS);
        read!.jobs.length = 0;
        expect(await store.rollups.forNode('n1', T0, T0 + WINDOW_MS)).toEqual([kept]);
      });
    });

    describe('nodes', () => {
      it('gives back what was put, lists it, and answers undefined for an unknown node', async () => {
        const store = await makeStore();
        await store.nodes.put(sampleNode('n2'));
        await store.nodes.put(sampleNode('n1'));
        expect(await store.nodes.get('n1')).toEqual(sampleNode('n1'));
        expect(await store.nodes.get('nope')).toBeUndefined();
        expect((await store.nodes.list()).map((n) => n.nodeId).sort()).toEqual(['n1', 'n2']);
      });

      it('reads many nodes at once, past 100 ids, leaving out those it does not hold', async () => {
        const store = await makeStore();
        const ids = Array.from({ length: 130 }, (_, k) => `n${k}`);
        for (const id of ids) await store.nodes.put(sampleNode(id));
        // Asked twice for one id, and for ids it never held: each held node once, the others absent.
        const got = await store.nodes.getMany([...ids, 'n7', 'nope', 'gone']);
        expect([...got.keys()].sort()).toEqual([...ids].sort());
        expect(got.get('n42')).toEqual(sampleNode('n42'));
        expect(await store.nodes.getMany([])).toEqual(new Map());
      });

      it('a second put of the same node replaces it', async () => {
        const store = await makeStore();
        await store.nodes.put(sampleNode('n1'));
        await store.nodes.put({ ...sampleNode('n1'), state: 'stopped' });
        expect(await store.nodes.list()).toEqual([{ ...sampleNode('n1'), state: 'stopped' }]);
      });

      it('patches the given fields, leaves the others, and clears a field given as undefined', async () => {
        const store = await makeStore();
        await store.nodes.put(sampleNode('n1'));
        const mark = { markedAt: '2026-03-01T05:00:00Z', reason: 'idle 2 h' };
        expect(await store.nodes.patch('n1', { mark, lastBusyAt: '2026-03-01T03:00:00Z' })).toBe(true);
        expect(await store.nodes.get('n1')).toEqual({
          ...sampleNode('n1'),
          mark,
          lastBusyAt: '2026-03-01T03:00:00Z',
        });
        expect(await store.nodes.patch('n1', { mark: undefined, state: 'draining' })).toBe(true);
        expect(await store.nodes.get('n1')).toEqual({
          ...sampleNode('n1'),
          state: 'draining',
          lastBusyAt: '2026-03-01T03:00:00Z',
        });
      });

      it('answers false when patching a node it does not hold, and creates nothing', async () => {
        const store = await makeStore();
        expect(await store.nodes.patch('ghost', { state: 'stopped' })).toBe(false);
        expect(await store.nodes.patch('ghost', {})).toBe(false);
        expect(await store.nodes.list()).toEqual([]);
      });

      it('refuses a patch with an invalid value and keeps the node as it was', async () => {
        const store = await makeStore();
        await store.nodes.put(sampleNode('n1'));
        await expect(
          store.nodes.patch('n1', { state: 'exploded' as 'running', gpuCount: 4 }),
        ).rejects.toThrow(ValidationError);
        expect(await store.nodes.get('n1')).toEqual(sampleNode('n1'));
      });
    });

    describe('forecasts', () => {
      it('gives the latest forecast of a class and those issued in [from, to)', async () => {
        const store = await makeStore();
        const issued = [0, 1, 2].map((h) => sampleForecast('train', T0 + h * HOUR_MS));
        for (const f of [issued[2]!, issued[0]!, issued[1]!]) await store.forecasts.put(f);
        await store.forecasts.put(sampleForecast('serve', T0 + 5 * HOUR_MS));
        expect(await store.forecasts.latest('train')).toEqual(issued[2]);
        expect(await store.forecasts.latest('nobody')).toBeUndefined();
        expect(await store.forecasts.between('train', T0, T0 + 2 * HOUR_MS)).toEqual(issued.slice(0, 2));
      });

      it('a forecast put again for the same class and issue time replaces the first', async () => {
        const store = await makeStore();
        await store.forecasts.put(sampleForecast('train', T0));
        const revised = { ...sampleForecast('train', T0), model: 'ets' };
        await store.forecasts.put(revised);
        expect(await store.forecasts.between('train', 0, T0 + DAY_MS)).toEqual([revised]);
      });
    });

    describe('plans', () => {
      it('creates a plan once, money exact, and refuses a second write of the same planId', async () => {
        const store = await makeStore();
        const plan = samplePlan('plan-1', T0);
        expect(await store.plans.create(plan)).toBe('created');
        expect(await store.plans.create({ ...plan, totalCostUsd: 1n })).toBe('exists');
        const got = await store.plans.get('plan-1');
        expect(got).toEqual(plan);
        expect(got?.totalCostUsd).toBe(HUGE_USD);
        expect(await store.plans.get('plan-2')).toBeUndefined();
      });

      it('lists plans created in [from, to), oldest first', async () => {
        const store = await makeStore();
        const plans = [2, 0, 1, 3].map((h) => samplePlan(`plan-${h}`, T0 + h * HOUR_MS));
        for (const p of plans) await store.plans.create(p);
        const got = await store.plans.between(T0, T0 + 3 * HOUR_MS);
        expect(got.map((p) => p.planId)).toEqual(['plan-0', 'plan-1', 'plan-2']);
      });

      it('refuses a plan whose money is not micro-dollars, naming the field', async () => {
        const store = await makeStore();
        const bad = { ...samplePlan('plan-x', T0), totalCostUsd: 12.5 as unknown as bigint };
        await expect(store.plans.create(bad)).rejects.toThrow(/totalCostUsd/);
        expect(await store.plans.get('plan-x')).toBeUndefined();
      });
    });

    describe('ledger', () => {
      it('records an entry once and refuses a replay, so savings never count twice', async () => {
        const store = await makeStore();
        const entry = sampleLedgerEntry('e1', T0);
        expect(await store.ledger.record(entry)).toBe('created');
        expect(await store.ledger.record({ ...entry, actualCostUsd: 0n })).toBe('exists');
        expect(await store.ledger.between(T0, T0 + 1)).toEqual([entry]);
      });

      it('lists entries in [from, to), oldest first', async () => {
        const store = await makeStore();
        for (const m of [30, 10, 20, 40])
          await store.ledger.record(sampleLedgerEntry(`e${m}`, T0 + m * 60_000));
        const got = await store.ledger.between(T0 + 10 * 60_000, T0 + 40 * 60_000);
        expect(got.map((e) => e.entryId)).toEqual(['e10', 'e20', 'e30']);
      });
    });

    describe('attribution', () => {
      it('gives back an hour of rows with money exact, in the order they were written', async () => {
        const store = await makeStore();
        const rows = [
          sampleAttributionRow(T0, 'job-b', 1n),
          sampleAttributionRow(T0, 'job-a', HUGE_USD),
          sampleAttributionRow(T0, 'job-c', -250_000n),
        ];
        await store.attribution.putHour(T0, rows);
        expect(await store.attribution.between(T0, T0 + HOUR_MS)).toEqual(rows);
      });

      it('writing an hour twice leaves the same rows, and a shorter rewrite leaves only the new ones', async () => {
        const store = await makeStore();
        const rows = ['a', 'b', 'c'].map((j) => sampleAttributionRow(T0, `job-${j}`, 100n));
        await store.attribution.putHour(T0, rows);
        await store.attribution.putHour(T0, rows);
        expect(await store.attribution.between(T0, T0 + HOUR_MS)).toEqual(rows);
        await store.attribution.putHour(T0, rows.slice(0, 1));
        expect(await store.attribution.between(T0, T0 + HOUR_MS)).toEqual(rows.slice(0, 1));
      });

      it('reads rows whose charge period starts in [from, to), across days', async () => {
        const store = await makeStore();
        const hours = [T0 + 23 * HOUR_MS, T0 + 24 * HOUR_MS, T0 + 25 * HOUR_MS];
        for (const h of hours) await store.attribution.putHour(h, [sampleAttributionRow(h, `job-${h}`, 7n)]);
        const got = await store.attribution.between(hours[0]!, hours[2]!);
        expect(got.map((r) => r.ChargePeriodStart)).toEqual(['2026-03-01T23:00:00Z', '2026-03-02T00:00:00Z']);
      });

      it('refuses rows charged outside the hour being written', async () => {
        const store = await makeStore();
        await expect(
          store.attribution.putHour(T0, [sampleAttributionRow(T0 + HOUR_MS, 'job-late', 1n)]),
        ).rejects.toThrow(/outside the hour/);
        await expect(store.attribution.putHour(T0 + 1, [])).rejects.toThrow(RangeError);
      });
    });

    describe('prices', () => {
      it('keeps one quote per pool, option and term; a newer quote replaces the older', async () => {
        const store = await makeStore();
        await store.prices.put([
          samplePrice('p1', 'on-demand', 32_772_000n),
          samplePrice('p1', 'spot', 9_830_000n),
          samplePrice('p1', 'reserved', 20_000_000n, 1),
          samplePrice('p1', 'reserved', 13_000_000n, 3),
        ]);
        await store.prices.put([samplePrice('p1', 'spot', 9_830_001n)]);
        const byKey = (await store.prices.all()).map((q) => [q.option, q.termYears, q.usdPerHour]);
        expect(byKey.sort()).toEqual(
          [
            ['on-demand', undefined, 32_772_000n],
            ['reserved', 1, 20_000_000n],
            ['reserved', 3, 13_000_000n],
            ['spot', undefined, 9_830_001n],
          ].sort(),
        );
        expect((await store.prices.all()).find((q) => q.option === 'spot')).toEqual(
          samplePrice('p1', 'spot', 9_830_001n),
        );
      });
    });

    describe('workload classes', () => {
      it('lists the classes put, a second put of an id replacing the first', async () => {
        const store = await makeStore();
        await store.classes.put(sampleClass('train'));
        await store.classes.put(sampleClass('serve'));
        await store.classes.put(sampleClass('train', 0.9));
        const got = await store.classes.list();
        expect(got.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
          sampleClass('serve'),
          sampleClass('train', 0.9),
        ]);
      });
    });

    describe('class demand', () => {
      const hourOf = (classId: string, hour: number, gpus: number): DemandHour => ({
        classId,
        hourStartMs: T0 + hour * HOUR_MS,
        gpus,
      });

      it('an hour put again replaces its value, in one call or two', async () => {
        const store = await makeStore();
        await store.demand.put([hourOf('train', 0, 3.25), hourOf('serve', 0, 1)]);
        await store.demand.put([hourOf('train', 0, 4.5)]);
        await store.demand.put([hourOf('serve', 0, 2), hourOf('serve', 0, 7.125)]);
        expect(await store.demand.between(T0, T0 + HOUR_MS)).toEqual([
          hourOf('serve', 0, 7.125),
          hourOf('train', 0, 4.5),
        ]);
      });

      it('reads hours in [from, to), oldest first, whatever order they were put in', async () => {
        const store = await makeStore();
        const put = [5, 1, 3, 0, 4, 2].flatMap((h) => [hourOf('b', h, h), hourOf('a', h, h + 0.5)]);
        await store.demand.put(put);
        const got = await store.demand.between(T0 + HOUR_MS, T0 + 4 * HOUR_MS);
        expect(got.map((p) => [p.hourStartMs - T0, p.classId, p.gpus])).toEqual([
          [HOUR_MS, 'a', 1.5],
          [HOUR_MS, 'b', 1],
          [2 * HOUR_MS, 'a', 2.5],
          [2 * HOUR_MS, 'b', 2],
          [3 * HOUR_MS, 'a', 3.5],
          [3 * HOUR_MS, 'b', 3],
        ]);
        // A bound inside an hour: the hour starting before `from` is out, the one starting before `to` is in.
        const cut = await store.demand.between(T0 + HOUR_MS + 1, T0 + 2 * HOUR_MS + 1);
        expect(cut.map((p) => p.hourStartMs)).toEqual([T0 + 2 * HOUR_MS, T0 + 2 * HOUR_MS]);
        expect(await store.demand.between(T0 + HOUR_MS, T0 + HOUR_MS)).toEqual([]);
        expect(await store.demand.between(T0 + 6 * HOUR_MS, T0 + DAY_MS)).toEqual([]);
      });

      it('refuses an hour that does not start on the hour, or negative GPUs, and keeps none of the call', async () => {
        const store = await makeStore();
        const offHour = { ...hourOf('train', 1, 2), hourStartMs: T0 + HOUR_MS + 60_000 };
        await expect(store.demand.put([hourOf('train', 0, 1), offHour])).rejects.toThrow(
          /hourStartMs: expected the start of a UTC hour/,
        );
        await expect(store.demand.put([hourOf('train', 0, -1)])).rejects.toThrow(ValidationError);
        expect(await store.demand.between(0, T0 + DAY_MS)).toEqual([]);
      });

      it('gives back every hour of 3 classes over 40 days (past DynamoDB pages)', async () => {
        const store = await makeStore();
        const hours = 40 * 24;
        // Long class ids (in the key and the data) make the 2 880 items some 1.4 MB: more than one 1 MB page.
        const ids = ['train', 'serve', 'batch'].map((c) => c.padEnd(200, '-x'));
        const put = ids.flatMap((c, k) =>
          Array.from({ length: hours }, (_, h) => hourOf(c, h, (h % 24) + k / 4)),
        );
        await store.demand.put(put);
        const got = await store.demand.between(T0, T0 + hours * HOUR_MS);
        expect(got).toHaveLength(put.length);
        const byKey = (p: DemandHour) => `${String(p.hourStartMs).padStart(13, '0')}#${p.classId}`;
        expect(got).toEqual([...put].sort((x, y) => byKey(x).localeCompare(byKey(y))));
      });
    });

    describe('bills', () => describeBillRepositoryContract(async () => (await makeStore()).bills));
  });
}
