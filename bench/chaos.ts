// bench:chaos — bad input, every delivery order and random launch failures thrown at the real runs, many more cases than CI runs.
import { mkdir, writeFile } from 'node:fs/promises';
import { alignColumns } from '../lib/cli/columns.ts';
import { runEventOrderChaos } from '../test/chaos/event-order.ts';
import { runFleetActionChaos } from '../test/chaos/fleet-actions.ts';
import { runIngestRecordsChaos } from '../test/chaos/ingest-records.ts';

/** Cases per suite: `npm run bench:chaos -- 2` doubles them. */
const scale = Number(process.argv[2] ?? 1);
const seed = Number(process.env.CHAOS_SEED ?? 20261205);
const started = Date.now();
const timed = async <T>(name: string, run: () => Promise<T>) => {
  process.stderr.write(`${name}…\n`);
  const t0 = Date.now();
  const result = await run();
  return { result, seconds: (Date.now() - t0) / 1000 };
};

const ingest = await timed('random ingest batches', () =>
  runIngestRecordsChaos({ cases: Math.round(1000 * scale), seed }),
);
const order = await timed('permutations of event order', () =>
  runEventOrderChaos({ cases: Math.round(200 * scale), seed }),
);
const fleets = await timed('random fleets × launch failures in enforce mode', () =>
  runFleetActionChaos({ cases: Math.round(500 * scale), seed }),
);

const rows = [
  [
    'random ingest batches (valid and invalid records)',
    ingest.result.cases,
    ingest.result.failures,
    `lost valid records ${ingest.result.lostValidRecords}`,
    ingest.seconds,
  ],
  [
    'any order of the same events (node state, attribution)',
    order.result.cases,
    order.result.failures,
    '',
    order.seconds,
  ],
  [
    'random fleets × launch failures (optimize, interruption, reclaim)',
    fleets.result.cases,
    fleets.result.failures,
    `unsafe releases ${fleets.result.unsafeReleases}, stranded ${fleets.result.strandedCapacityEvents}`,
    fleets.seconds,
  ],
] as const;
process.stdout.write(
  `${alignColumns(
    ['suite', 'cases', 'failures', 'invariants', 's'],
    rows.map((r) => [r[0], String(r[1]), String(r[2]), r[3], r[4].toFixed(1)]),
  ).join(
    '\n',
  )}\n\nexercised by the fleets: ${JSON.stringify(fleets.result.exercised)}; seed ${seed}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
for (const example of [...ingest.result.examples, ...order.result.examples, ...fleets.result.examples])
  process.stdout.write(`  failure: ${example}\n`);

const result = {
  seed,
  cases: {
    ingestBatches: ingest.result.cases,
    eventOrders: order.result.cases,
    fleetsWithLaunchFailures: fleets.result.cases,
  },
  failures: ingest.result.failures + order.result.failures + fleets.result.failures,
  lostValidRecords: ingest.result.lostValidRecords,
  unsafeReleases: fleets.result.unsafeReleases,
  strandedCapacityEvents: fleets.result.strandedCapacityEvents,
  exercised: fleets.result.exercised,
  seconds: {
    ingestBatches: ingest.seconds,
    eventOrders: order.seconds,
    fleetsWithLaunchFailures: fleets.seconds,
  },
};
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/chaos.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
if (result.failures > 0) process.exitCode = 1;
