// Where GPU samples of nodes without the agent come from (Prometheus/DCGM), plugged into a fleet's provider.
import type { UtilizationBatch } from '../domain/usage.ts';

export interface UtilizationSource {
  /** One batch per node and 5-minute window with windowStart in [fromMs, toMs). */
  utilization(fromMs: number, toMs: number): Promise<UtilizationBatch[]>;
}
