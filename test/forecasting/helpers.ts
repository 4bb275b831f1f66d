// Builders of rollups and classes for the forecasting tests.
import type { WindowRollup } from '../../lib/domain/usage.ts';
import { zWorkloadClass, type WorkloadClass, type WorkloadClassInput } from '../../lib/domain/workload.ts';
import { toRfc3339 } from '../../lib/domain/time.ts';

export function workloadClass(
  input: Partial<WorkloadClassInput> & { id: string; team: string },
): WorkloadClass {
  return zWorkloadClass.parse(input);
}

/** A rollup of one node in one window with `busyGpus` GPUs busy the whole window, for `team`'s job. */
export function rollup(
  nodeId: string,
  atMs: number,
  busyGpus: number,
  team: string,
  gpuModel = 'A100',
): WindowRollup {
  return {
    node: {
      nodeId,
      provider: 'sim',
      region: 'r',
      zone: 'z',
      instanceType: 'p4d',
      poolId: 'sim:r:z:p4d',
      labels: { team },
    },
    windowStart: toRfc3339(atMs),
    eventId: `boot@${toRfc3339(atMs)}`,
    gpus: Array.from({ length: 8 }, (_, index) => ({
      index,
      uuid: `${nodeId}-gpu${index}`,
      model: gpuModel,
      sampleCount: 30,
      sampledSeconds: 300,
      busySeconds: index < busyGpus ? 300 : 0,
      utilizationMinPct: null,
      utilizationMeanPct: null,
      utilizationMaxPct: null,
      smActivityMeanPct: null,
      memoryUsedMaxMiB: null,
      memoryTotalMiB: null,
      energyJoules: 0,
      processCount: 0,
    })),
    jobs: [],
  };
}
