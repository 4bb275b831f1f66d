// The dashboard's custom metrics from the Lambda doors: Powertools Metrics writes them to stdout as EMF lines.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC_NAMES, METRICS_NAMESPACE } from '../infra/metric-names.ts';

export { MetricUnit };

export type MetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];
export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface MetricValue {
  name: MetricName;
  unit: MetricUnitName;
  value: number;
}

/** Figures true at one instant (the window measured, the hour attributed), with the same dimensions. */
export interface MetricRecord {
  atMs: number;
  /** Dimensions besides the service, e.g. the workload class; none puts the figure on the service's own series. */
  dimensions?: Readonly<Record<string, string>>;
  values: readonly MetricValue[];
}

export interface DoorMetrics {
  /** One EMF line per record, written at once: a door's figures never wait for the end of a batch of runs. */
  publish(records: readonly MetricRecord[]): void;
}

/**
 * The service dimension is the one the stack gives the function (POWERTOOLS_SERVICE_NAME) and the dashboard
 * reads; it is set here too, so a door run without the stack's environment still lands on the same series.
 */
export function createDoorMetrics(door: string): DoorMetrics {
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `gpu-optimizer-${door}` });
  return {
    publish(records) {
      for (const record of records) {
        if (record.values.length === 0) continue;
        for (const [name, value] of Object.entries(record.dimensions ?? {}))
          metrics.addDimension(name, value);
        metrics.setTimestamp(record.atMs);
        for (const { name, unit, value } of record.values) metrics.addMetric(name, unit, value);
        metrics.publishStoredMetrics();
      }
    },
  };
}
