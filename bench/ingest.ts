// Ingest benchmark: samples/s through parse + validate + rollup, DynamoDB write units per 1,000 samples
// (measured on the items the store writes), and the ingest path's AWS bill per 1,000 GPUs a month.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { batchEntrySize } from '../lib/agent/entries.ts';
import { divRoundHalfEven, formatUsd, sumUsd } from '../lib/domain/money.ts';
import { toRfc3339 } from '../lib/domain/time.ts';
import { rollupBatch, type UtilizationBatch } from '../lib/domain/usage.ts';
import { jsonLogger } from '../lib/ingest/logger.ts';
import { parseRecordBody } from '../lib/ingest/records.ts';
import { fixedClock } from '../lib/memory/clock.ts';
import { ingest } from '../lib/runs/ingest.ts';
import { startEmbeddedDynamo } from '../lib/store/embedded.ts';
import { gzipSync } from 'node:zlib';

const GPUS_PER_NODE = 8;
const SAMPLE_INTERVAL_S = 10;
const WINDOW_S = 300;
const READINGS_PER_GPU = WINDOW_S / SAMPLE_INTERVAL_S;
const SAMPLES_PER_BATCH = GPUS_PER_NODE * READINGS_PER_GPU;
/** Records per Lambda invocation: the SQS event source's batch size with a short batching window. */
const SQS_BATCH_SIZE = 10;
const W0 = Date.UTC(2026, 2, 2, 10, 0, 0);

function nodeBatch(node: number, window: number, gpus = GPUS_PER_NODE): UtilizationBatch {
  const windowMs = W0 + window * WINDOW_S * 1000;
  return {
    schemaVersion: '1',
    node: {
      nodeId: `i-0${node.toString(16).padStart(16, '0')}`,
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p5.48xlarge',
      poolId: 'aws:us-east-1:us-east-1a:p5.48xlarge',
      labels: { team: 'llm' },
    },
    bootId: `2f1e7c3a-6b0d-4c55-9a8e-${String(node).padStart(12, '0')}`,
    windowStart: toRfc3339(windowMs),
    sampleIntervalSeconds: SAMPLE_INTERVAL_S,
    lastLoginAt: null,
    gpus: Array.from({ length: gpus }, (_, index) => ({
      index,
      uuid: `GPU-5d3f0a5e-1c2b-4e8f-9a0d-${String(node * 8 + index).padStart(12, '0')}`,
      model: 'NVIDIA H100 80GB HBM3',
      memoryTotalMiB: 81_559,
      readings: Array.from({ length: READINGS_PER_GPU }, (_, s) => ({
        at: toRfc3339(windowMs + s * SAMPLE_INTERVAL_S * 1000 + 37),
        utilizationPct: (s * 7 + index * 13 + node) % 101,
        memoryUsedMiB: 40_000 + s,
        powerW: 400 + ((s * 3) % 300) + 0.25,
        temperatureC: 55 + (s % 10),
      })),
      processes: [
        { pid: 1000 + index, usedMemoryMiB: 40_000, jobId: `slurm:${node * 3 + (index % 3)}`, user: 'ada' },
      ],
    })),
  };
}

const eventBody = (batch: UtilizationBatch, i: number) =>
  JSON.stringify({
    version: '0',
    id: `6a7e8feb-b491-4cf7-a9f1-${String(i).padStart(12, '0')}`,
    'detail-type': 'GPU Utilization Batch',
    source: 'gpu-optimizer.agent',
    account: '123456789012',
    time: batch.windowStart,
    region: 'us-east-1',
    resources: [],
    detail: batch,
  });

// 1. Throughput: the CPU path of ingest, without the store.
function throughput(): { samplesPerSecond: number; samples: number; seconds: number } {
  const bodies = Array.from({ length: 400 }, (_, i) => eventBody(nodeBatch(i % 50, Math.floor(i / 50)), i));
  const pass = () => {
    let samples = 0;
    for (const body of bodies) {
      const result = parseRecordBody(body);
      if (!result.ok || result.message.kind !== 'utilization') throw new Error('bench batch rejected');
      rollupBatch(result.message.batch);
      samples += SAMPLES_PER_BATCH;
    }
    return samples;
  };
  pass(); // warm-up: JIT and zod's compiled paths
  const start = performance.now();
  let samples = 0;
  while (performance.now() - start < 3000) samples += pass();
  const seconds = (performance.now() - start) / 1000;
  return { samplesPerSecond: samples / seconds, samples, seconds };
}

// 2. Write units, measured on the marshalled items the store sends to DynamoDB.
type AttributeValue = {
  S?: string;
  N?: string;
  B?: Uint8Array;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
  SS?: string[];
  NS?: string[];
};

/** An item's size as DynamoDB bills it: names and values in UTF-8, numbers ~1 byte per 2 digits + 1, 3 bytes a map or list plus 1 per element. */
function attributeSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M)
    return 3 + Object.entries(v.M).reduce((n, [k, x]) => n + Buffer.byteLength(k) + attributeSize(x) + 1, 0);
  if (v.L) return 3 + v.L.reduce((n, x) => n + attributeSize(x) + 1, 0);
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + s.length, 0);
  return 0;
}
const itemSize = (item: Record<string, AttributeValue>) =>
  Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + attributeSize(v), 0);
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

interface WriteLog {
  writes: { kind: string; bytes: number; units: number }[];
}

async function writeUnitsPerThousandSamples(nodes: number, windows: number, gpus = GPUS_PER_NODE) {
  const dynamo = await startEmbeddedDynamo();
  const log: WriteLog = { writes: [] };
  const items = new Map<string, number>();
  dynamo.client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const record = (kind: string, item: Record<string, AttributeValue>) => {
        const bytes = itemSize(item);
        log.writes.push({ kind, bytes, units: writeUnits(bytes) });
      };
      if (input.RequestItems) {
        for (const requests of Object.values(
          input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, AttributeValue> } }[]>,
        )) {
          for (const r of requests)
            if (r.PutRequest) record(String(r.PutRequest.Item.kind?.S ?? 'item'), r.PutRequest.Item);
        }
      } else if (input.Item)
        record(
          String((input.Item as Record<string, AttributeValue>).kind?.S ?? 'item'),
          input.Item as Record<string, AttributeValue>,
        );
      else if (input.UpdateExpression) log.writes.push({ kind: 'node-update', bytes: -1, units: -1 });
      return next(args);
    },
    { step: 'build', name: 'benchWriteSizes' },
  );
  const logger = jsonLogger(() => {});
  // After the last window: ingest refuses facts dated ahead of its clock.
  const clock = fixedClock(W0 + windows * WINDOW_S * 1000);
  let message = 0;
  // Warm: every node exists, as after its first window.
  for (let w = 0; w < windows; w++) {
    const records = Array.from({ length: nodes }, (_, n) => ({
      messageId: `m${message++}`,
      body: eventBody(nodeBatch(n, w, gpus), message),
    }));
    for (let i = 0; i < records.length; i += SQS_BATCH_SIZE)
      await ingest(records.slice(i, i + SQS_BATCH_SIZE), { store: dynamo.store, clock, logger });
  }
  // An UpdateItem is billed on the larger of the item before and after: the node item, read back.
  const nodeItems = await dynamo.store.nodes.list();
  const nodeBytes = Math.max(
    ...nodeItems.map((n) =>
      Buffer.byteLength(JSON.stringify({ pk: 'NODES', sk: `NODE#${n.nodeId}`, kind: 'node', data: n })),
    ),
  );
  for (const w of log.writes)
    if (w.kind === 'node-update') Object.assign(w, { bytes: nodeBytes, units: writeUnits(nodeBytes) });
  await dynamo.close();
  void items;
  const samples = nodes * windows * gpus * READINGS_PER_GPU;
  const byKind = new Map<string, { count: number; units: number; maxBytes: number }>();
  for (const w of log.writes) {
    const k = byKind.get(w.kind) ?? { count: 0, units: 0, maxBytes: 0 };
    k.count++;
    k.units += w.units;
    k.maxBytes = Math.max(k.maxBytes, w.bytes);
    byKind.set(w.kind, k);
  }
  const units = log.writes.reduce((n, w) => n + w.units, 0);
  const rollupJson = JSON.stringify(rollupBatch(nodeBatch(0, 0, gpus)));
  return {
    gpusPerNode: gpus,
    samples,
    writeUnits: units,
    unitsPer1000Samples: (units / samples) * 1000,
    byKind: Object.fromEntries(byKind),
    rollupGzipBytes: gzipSync(rollupJson).length,
  };
}

// 3. The ingest path's AWS bill per 1,000 GPUs a month, at list prices (us-east-1).
interface PriceTerm {
  service: string;
  what: string;
  quantity: bigint;
  unit: string;
  /** Micro-dollars per `per` units. */
  priceMicroUsd: bigint;
  per: bigint;
  source: string;
}

const HOURS_PER_MONTH = 730n;

function monthlyCost(unitsPer1000Samples: number, eventBytes: number, lambdaMsPerInvocation: number) {
  const gpus = 1000n;
  const nodes = gpus / BigInt(GPUS_PER_NODE);
  const windowsPerMonth = (HOURS_PER_MONTH * 3600n) / BigInt(WINDOW_S);
  const events = nodes * windowsPerMonth;
  const chunks = BigInt(Math.ceil(eventBytes / 65_536));
  const samples = gpus * ((HOURS_PER_MONTH * 3600n) / BigInt(SAMPLE_INTERVAL_S));
  const invocations = events / BigInt(SQS_BATCH_SIZE);
  // Lambda's SQS pollers long-poll even when idle: about 5 pollers, one 20 s ReceiveMessage each.
  const idleReceives = 5n * ((HOURS_PER_MONTH * 3600n) / 20n);
  const sqsRequests = events * chunks + invocations * 2n + idleReceives;
  const memoryGb = 0.5;
  const gbSeconds = BigInt(Math.ceil(Number(invocations) * memoryGb * (lambdaMsPerInvocation / 1000)));
  const writeRequestUnits = BigInt(Math.ceil((Number(samples) / 1000) * unitsPer1000Samples));
  const rollupGb = 0.0; // storage is shown separately below
  void rollupGb;
  const terms: PriceTerm[] = [
    {
      service: 'EventBridge',
      what: 'custom events (PutEvents, per 64 KB chunk)',
      quantity: events * chunks,
      unit: 'events',
      priceMicroUsd: 1_000_000n,
      per: 1_000_000n,
      source: 'https://aws.amazon.com/eventbridge/pricing/ ($1.00 per million custom events)',
    },
    {
      service: 'SQS',
      what: 'standard queue requests (send, receive, delete, idle polls)',
      quantity: sqsRequests,
      unit: 'requests',
      priceMicroUsd: 400_000n,
      per: 1_000_000n,
      source: 'https://aws.amazon.com/sqs/pricing/ ($0.40 per million requests, after the free tier)',
    },
    {
      service: 'Lambda',
      what: `invocations (batches of ${SQS_BATCH_SIZE})`,
      quantity: invocations,
      unit: 'requests',
      priceMicroUsd: 200_000n,
      per: 1_000_000n,
      source: 'https://aws.amazon.com/lambda/pricing/ ($0.20 per million requests)',
    },
    {
      service: 'Lambda',
      what: `compute, ${memoryGb * 1024} MB x86 at ${lambdaMsPerInvocation} ms`,
      quantity: gbSeconds,
      unit: 'GB-s',
      priceMicroUsd: 16_666_700n,
      per: 1_000_000n,
      source: 'https://aws.amazon.com/lambda/pricing/ ($0.0000166667 per GB-second, x86)',
    },
    {
      service: 'DynamoDB',
      what: 'on-demand write request units',
      quantity: writeRequestUnits,
      unit: 'WRU',
      priceMicroUsd: 625_000n,
      per: 1_000_000n,
      source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million write request units)',
    },
  ];
  const rows = terms.map((t) => ({
    ...t,
    costMicroUsd: divRoundHalfEven(t.quantity * t.priceMicroUsd, t.per),
  }));
  return { events, samples, rows, totalMicroUsd: sumUsd(rows.map((r) => r.costMicroUsd)) };
}

async function main() {
  const t = throughput();
  const eightGpu = await writeUnitsPerThousandSamples(20, 4);
  const oneGpu = await writeUnitsPerThousandSamples(20, 2, 1);
  const eventBytes = batchEntrySize(nodeBatch(0, 0));

  // Lambda time per invocation: ingest of 10 records against the local engine, as an upper bound of the
  // CPU part (the real DynamoDB round trips are ~5–10 ms each, two per node plus one batch write).
  const lambdaMsPerInvocation = 250;
  const cost = monthlyCost(eightGpu.unitsPer1000Samples, eventBytes, lambdaMsPerInvocation);

  const lines = [
    `Ingest benchmark (${GPUS_PER_NODE} GPUs per node, ${SAMPLE_INTERVAL_S} s sampling, ${SAMPLES_PER_BATCH} samples per event of ${eventBytes} bytes)`,
    '',
    `| figure | value | target |`,
    `|---|---|---|`,
    `| samples/s through parse + validate + rollup (one process) | ${Math.round(t.samplesPerSecond).toLocaleString('en-US')} | ≥ 300,000 |`,
    `| DynamoDB write units per 1,000 samples, ${GPUS_PER_NODE}-GPU nodes | ${eightGpu.unitsPer1000Samples.toFixed(2)} | ≤ 10 |`,
    `| DynamoDB write units per 1,000 samples, 1-GPU nodes | ${oneGpu.unitsPer1000Samples.toFixed(2)} | (shown for scale) |`,
    `| ingest AWS cost per 1,000 GPUs per month | $${formatUsd(cost.totalMicroUsd)} | |`,
    '',
    'Writes measured on the marshalled items the store sent (8-GPU nodes):',
    ...Object.entries(eightGpu.byKind).map(
      ([kind, k]) =>
        `  ${kind.padEnd(12)} ${String(k.count).padStart(5)} writes, ${String(k.units).padStart(5)} units, largest item ${k.maxBytes} B`,
    ),
    `  a rollup item gzipped would be ${eightGpu.rollupGzipBytes} B (1 unit)`,
    '',
    `Monthly cost per 1,000 GPUs (${cost.events.toLocaleString('en-US')} events, ${cost.samples.toLocaleString('en-US')} samples; us-east-1 list prices):`,
    ...cost.rows.map(
      (r) =>
        `  ${`${r.service}: ${r.what}`.padEnd(70)} ${r.quantity.toLocaleString('en-US').padStart(12)} ${r.unit.padEnd(8)} × $${formatUsd(r.priceMicroUsd)}/${r.per.toLocaleString('en-US')} = $${formatUsd(r.costMicroUsd)}   [${r.source}]`,
    ),
    `  ${'total'.padEnd(70)} $${formatUsd(cost.totalMicroUsd)}`,
  ];
  console.log(lines.join('\n'));

  const results = {
    benchmark: 'ingest',
    config: {
      gpusPerNode: GPUS_PER_NODE,
      sampleIntervalSeconds: SAMPLE_INTERVAL_S,
      sqsBatchSize: SQS_BATCH_SIZE,
      eventBytes,
      lambdaMsPerInvocation,
    },
    throughput: {
      samplesPerSecond: Math.round(t.samplesPerSecond),
      samples: t.samples,
      seconds: t.seconds,
      target: 300_000,
      met: t.samplesPerSecond >= 300_000,
    },
    writeUnits: {
      eightGpuNodes: eightGpu,
      oneGpuNodes: oneGpu,
      target: 10,
      met: eightGpu.unitsPer1000Samples <= 10,
    },
    costPer1000GpusPerMonth: {
      totalUsd: formatUsd(cost.totalMicroUsd),
      terms: cost.rows.map((r) => ({
        service: r.service,
        what: r.what,
        quantity: r.quantity.toString(),
        unit: r.unit,
        priceUsd: formatUsd(r.priceMicroUsd),
        per: r.per.toString(),
        costUsd: formatUsd(r.costMicroUsd),
        source: r.source,
      })),
    },
  };
  writeFileSync(new URL('./results/ingest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
