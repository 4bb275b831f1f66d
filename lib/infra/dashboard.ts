// The CloudWatch dashboard: utilization, spend, savings, forecast vs actual, and the health of every run.
import { Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { FunctionName } from './access.ts';
import type { HandlerFunction } from './handler-function.ts';
import { METRIC_NAMES, METRICS_NAMESPACE } from './metric-names.ts';

export interface DashboardParts {
  functions: ReadonlyMap<FunctionName, HandlerFunction>;
  ingestQueue: sqs.IQueue;
  ingestDlq: sqs.IQueue;
  stackName: string;
}

function custom(
  name: (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES],
  service: FunctionName,
  statistic: string,
  period: Duration,
  label: string,
) {
  // Powertools Metrics adds the service as a dimension to every metric it emits.
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: `gpu-optimizer-${service}` },
    statistic,
    period,
    label,
  });
}

export function addDashboard(stack: Stack, parts: DashboardParts): cloudwatch.Dashboard {
  const hour = Duration.hours(1);
  const week = Duration.days(7);
  const dashboard = new cloudwatch.Dashboard(stack, 'Dashboard', {
    dashboardName: `${parts.stackName}-gpu-optimizer`,
    defaultInterval: Duration.days(7),
  });
  const functions = [...parts.functions.entries()];
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'GPU utilization (%)',
      left: [custom(METRIC_NAMES.gpuUtilizationPct, 'ingest', 'Average', hour, 'mean utilization')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Spend per hour ($)',
      left: [custom(METRIC_NAMES.fleetCostUsd, 'attribute', 'Sum', hour, 'attributed cost')],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Savings per week ($)',
      left: [
        custom(METRIC_NAMES.savingsDoneUsd, 'report', 'Sum', week, 'done'),
        custom(METRIC_NAMES.savingsRecommendedUsd, 'report', 'Sum', week, 'recommended'),
      ],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Forecast vs actual (GPUs)',
      left: [
        custom(METRIC_NAMES.forecastGpus, 'forecast', 'Average', hour, 'forecast p50'),
        custom(METRIC_NAMES.actualGpus, 'forecast', 'Average', hour, 'actual'),
      ],
      right: [custom(METRIC_NAMES.forecastP90CoveragePct, 'forecast', 'Average', hour, 'p90 coverage %')],
      width: 12,
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Errors per run',
      left: functions.map(([name, h]) =>
        h.function.metricErrors({ period: Duration.minutes(15), label: name }),
      ),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Duration p90 (ms)',
      left: functions.map(([name, h]) =>
        h.function.metricDuration({ period: Duration.minutes(15), statistic: 'p90', label: name }),
      ),
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Ingest queue',
      left: [
        parts.ingestQueue.metricApproximateNumberOfMessagesVisible({ label: 'waiting' }),
        parts.ingestDlq.metricApproximateNumberOfMessagesVisible({ label: 'dead letters' }),
      ],
      right: [parts.ingestQueue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)' })],
      width: 8,
    }),
  );
  return dashboard;
}
