// The connectors poll: snapshots and GPU samples of each fleet onto the bus; a failing fleet is a Run Failed, not a failed run.
import { describe, expect, it } from 'vitest';
import { createConnectors } from '../../lib/connectors/config.ts';
import { MAX_EVENT_BYTES, toWire, type DomainEvent, type EventDetail } from '../../lib/domain/events.ts';
import type { FleetNode } from '../../lib/domain/fleet.ts';
import type { CapacityProvider } from '../../lib/domain/ports.ts';
import type { UtilizationBatch } from '../../lib/domain/usage.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { createMemoryStore } from '../../lib/memory/store.ts';
import { ingest } from '../../lib/runs/ingest.ts';
import { runPollConnectors, splitSnapshot } from '../../lib/runs/poll-connectors.ts';
import { sampleBatch } from '../support/samples.ts';
import { startOneH100Cluster as kubeCluster } from './fake-kube-apiserver.ts';

const NOW = Date.parse('2026-01-05T10:07:30Z');
const clock = { now: () => NOW };

describe('poll-connectors run', () => {
  it('puts a Capacity Snapshot per fleet, and a Run Failed for a fleet that cannot be reached while the others go on', async () => {
    const kube = await kubeCluster();
    try {
      const connectors = createConnectors({
        kubernetes: { url: kube.url, cluster: 'lab' },
        // Nothing listens on port 9 of 127.0.0.1: this fleet fails.
        slurm: { url: 'http://127.0.0.1:9', user: 'root', token: 'jwt', cluster: 'hpc' },
      });
      const events = createMemoryEventSink();
      const result = await runPollConnectors({ connectors, events, clock });
      const snapshot = events.events.find((e) => e.detailType === 'Capacity Snapshot');
      expect(snapshot?.detail).toMatchObject({
        connector: 'kubernetes-lab',
        takenAt: '2026-01-05T10:07:30Z',
        demand: [{ team: 'llm', gpusRunning: 8, gpusPending: 0 }],
      });
      const failed = events.events.filter((e) => e.detailType === 'Run Failed').map((e) => e.detail);
      expect(failed).toEqual([
        expect.objectContaining({
          run: 'poll-connectors',
          part: 'slurm:snapshot',
          error: expect.stringMatching(/slurm: GET \/openapi\/v3 got no answer/),
        }),
      ]);
      expect(result.connectors.map((c) => [c.connector, c.nodes, c.errors.length])).toEqual([
        ['slurm', 0, 1],
        ['kubernetes-lab', 1, 0],
      ]);
      expect(result.eventFailures).toEqual([]);
    } finally {
      await kube.close();
    }
  });

  it('sends GPU samples of the windows that have ended, in PutEvents batches of at most 10', async () => {
    const asked: [number, number][] = [];
    const batches: UtilizationBatch[] = Array.from({ length: 12 }, (_, k) =>
      sampleBatch({ windowStart: '2026-01-05T09:55:00Z', bootId: `boot-${k}` }),
    );
    const kube = await kubeCluster();
    try {
      const [provider] = createConnectors({ kubernetes: { url: kube.url, cluster: 'lab' } });
      const withSamples = {
        ...provider!,
        name: provider!.name,
        utilization: async (from: number, to: number) => {
          asked.push([from, to]);
          return batches;
        },
      };
      const sizes: number[] = [];
      const sink = createMemoryEventSink();
      const events = {
        put: async (b: Parameters<typeof sink.put>[0]) => (sizes.push(b.length), sink.put(b)),
      };
      sink.failNext(1, 'ThrottlingException');
      const result = await runPollConnectors(
        { connectors: [withSamples], events, clock },
        { utilizationLookbackMinutes: 15 },
      );
      expect(asked).toEqual([[Date.parse('2026-01-05T09:50:00Z'), Date.parse('2026-01-05T10:05:00Z')]]);
      expect(sizes).toEqual([10, 3]);
      // The bus refused the first entry (the snapshot); all 12 batches went through.
      expect(sink.events.filter((e) => e.detailType === 'GPU Utilization Batch')).toHaveLength(12);
      expect(result.eventFailures).toEqual(['Capacity Snapshot: ThrottlingException']);
    } finally {
      await kube.close();
    }
  });
});

/** Bytes EventBridge counts for an entry: Source, DetailType and Detail in UTF-8, 14 for a Time. */
function entryBytes(event: DomainEvent): number {
  const wire = toWire(event);
  return (
    Buffer.byteLength(wire.source) +
    Buffer.byteLength(wire.detailType) +
    Buffer.byteLength(JSON.stringify(wire.detail)) +
    (wire.time ? 14 : 0)
  );
}

function gcpNode(k: number): FleetNode {
  return {
    nodeId: `gke-train-a100-pool-7f3c9b2e-node-${String(k).padStart(4, '0')}`,
    provider: 'gcp',
    poolId: 'gcp:us-central1:us-central1-a:a2-highgpu-8g',
    region: 'us-central1',
    zone: 'us-central1-a',
    instanceType: 'a2-highgpu-8g',
    purchaseOption: k % 3 === 0 ? 'spot' : 'on-demand',
    state: 'running',
    gpuModel: 'NVIDIA A100-SXM4-40GB',
    gpuCount: 8,
    launchedAt: '2026-01-04T08:00:00Z',
    labels: { team: `team-${k % 7}`, project: 'foundation-models' },
    managed: true,
    protected: false,
    lastSeenAt: '2026-01-05T10:07:30Z',
    runningJobs: [`job-${k}`],
  };
}

describe('poll-connectors with a snapshot over the event size limit', () => {
  const fleet = Array.from({ length: 2000 }, (_, k) => gcpNode(k));
  const pools = [
    {
      id: 'gcp:us-central1:us-central1-a:a2-highgpu-8g',
      provider: 'gcp' as const,
      region: 'us-central1',
      zone: 'us-central1-a',
      instanceType: 'a2-highgpu-8g',
      gpuModel: 'NVIDIA A100-SXM4-40GB',
      gpusPerInstance: 8,
      gpuMemoryGiB: 40,
      interconnect: 'nvswitch' as const,
      bootSeconds: 300,
    },
  ];
  const demand = [{ team: 'team-1', gpusRunning: 16_000, gpusPending: 64 }];
  const unused = () => Promise.reject(new Error('not used by the poll'));
  const bigFleet: CapacityProvider = {
    name: 'gcp-big',
    pools: async () => pools,
    nodes: async () => fleet,
    queue: async () => demand,
    utilization: async () => [],
    prices: unused,
    launch: unused,
    release: unused,
    mark: unused,
    unmark: unused,
  };

  it('splits it into parts under the limit, each node in exactly one, that ingest stores whole', async () => {
    const calls: DomainEvent[][] = [];
    const sink = createMemoryEventSink();
    const events = { put: async (b: readonly DomainEvent[]) => (calls.push([...b]), sink.put(b)) };
    const result = await runPollConnectors({ connectors: [bigFleet], events, clock });

    expect(result.eventFailures).toEqual([]);
    expect(result.connectors[0]).toMatchObject({ nodes: 2000, errors: [] });
    const parts = sink.events.filter((e) => e.detailType === 'Capacity Snapshot');
    expect(parts.length).toBeGreaterThan(2);
    expect(result.connectors[0]!.snapshotParts).toBe(parts.length);
    const details = parts.map((p) => p.detail as EventDetail<'Capacity Snapshot'>);
    const listed = details.flatMap((d) => d.nodes.map((n) => n.nodeId));
    expect(listed).toHaveLength(2000);
    expect(new Set(listed)).toEqual(new Set(fleet.map((n) => n.nodeId)));
    for (const part of parts) expect(entryBytes(part)).toBeLessThan(MAX_EVENT_BYTES);
    expect(new Set(details.map((d) => d.takenAt))).toEqual(new Set(['2026-01-05T10:07:30Z']));
    expect(details.map((d) => [d.pools.length, d.demand.length])).toEqual(
      details.map((_, k) => (k === 0 ? [1, 1] : [0, 0])),
    );
    // EventBridge limits a PutEvents request as a whole, not only each entry.
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(10);
      expect(call.reduce((n, e) => n + entryBytes(e), 0)).toBeLessThan(MAX_EVENT_BYTES);
    }

    const store = createMemoryStore();
    const records = parts.map((p, k) => {
      const wire = toWire(p);
      const body = {
        id: `part-${k}`,
        source: wire.source,
        'detail-type': wire.detailType,
        time: wire.time,
        detail: wire.detail,
      };
      return { messageId: `m-${k}`, body: JSON.stringify(body) };
    });
    const ingested = await ingest(records, { store, clock, logger: memoryLogger() });
    expect(ingested.batchItemFailures).toEqual([]);
    const nodes = await store.nodes.list();
    expect(nodes).toHaveLength(2000);
    expect(nodes.filter((n) => n.purchaseOption === 'spot')).toHaveLength(667);
  });

  it('fails the snapshot, naming the node, when one node alone cannot fit in an event', () => {
    const snapshot = {
      schemaVersion: '1' as const,
      connector: 'gcp-big',
      takenAt: '2026-01-05T10:07:30Z',
      pools: [],
      nodes: fleet.slice(0, 3),
      demand: [],
    };
    expect(splitSnapshot(snapshot, snapshot.takenAt, 1_000).length).toBe(3);
    expect(() => splitSnapshot(snapshot, snapshot.takenAt, 600)).toThrow(
      /node gke-train-a100-pool-7f3c9b2e-node-0000 alone is \d+ bytes/,
    );
  });
});
