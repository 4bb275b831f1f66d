// The connectors poll: snapshots and GPU samples of each fleet onto the bus; a failing fleet is a Run Failed, not a failed run.
import { describe, expect, it } from 'vitest';
import { createConnectors } from '../../lib/connectors/config.ts';
import type { UtilizationBatch } from '../../lib/domain/usage.ts';
import { createMemoryEventSink } from '../../lib/memory/event-sink.ts';
import { runPollConnectors } from '../../lib/runs/poll-connectors.ts';
import { sampleBatch } from '../support/samples.ts';
import { startFakeKubeApiServer } from './fake-kube-apiserver.ts';

const NOW = Date.parse('2026-01-05T10:07:30Z');
const clock = { now: () => NOW };

async function kubeCluster() {
  return startFakeKubeApiServer(
    [
      {
        metadata: {
          name: 'gpu-a',
          labels: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3', 'nvidia.com/gpu.count': '8' },
        },
        spec: {},
        status: { capacity: { 'nvidia.com/gpu': '8' }, conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
    [
      {
        metadata: { name: 'train-0', namespace: 'llm' },
        spec: {
          nodeName: 'gpu-a',
          containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': '8' } } }],
        },
        status: { phase: 'Running' },
      },
    ],
  );
}

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
