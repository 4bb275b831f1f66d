// The custom CloudWatch metrics the dashboard shows: one namespace and one name per figure, for emitters and the stack.

/** Powertools Metrics namespace of every custom metric (POWERTOOLS_METRICS_NAMESPACE of each function). */
export const METRICS_NAMESPACE = 'GpuOptimizer';

export const METRIC_NAMES = {
  /** Mean GPU utilization of the fleet over a window, percent (ingest). */
  gpuUtilizationPct: 'GpuUtilizationPct',
  /** Attributed fleet cost of an hour, dollars (attribute). */
  fleetCostUsd: 'FleetCostUsd',
  /** Savings carried out in the report's week, dollars (report). */
  savingsDoneUsd: 'SavingsDoneUsd',
  /** Savings recommended but not carried out in the report's week, dollars (report). */
  savingsRecommendedUsd: 'SavingsRecommendedUsd',
  /** Spend attributed in the report's week, dollars (report). */
  weeklySpendUsd: 'WeeklySpendUsd',
  /** GPUs demanded, forecast p50 for the hour and what came (forecast). */
  forecastGpus: 'ForecastGpus',
  actualGpus: 'ActualGpus',
  /**
   * Share of the known hours of the day-ahead forecast at or below its p90, percent, per class and for the fleet
   * (forecast): 90 when the bands are calibrated.
   */
  forecastP90CoveragePct: 'ForecastP90CoveragePct',
  /** Slack messages that could not be delivered after retries (notify). */
  slackUndelivered: 'SlackUndelivered',
  /** Slack messages kept in the outbox after a notify run, waiting for a later run (notify). */
  slackOutboxDepth: 'SlackOutboxDepth',
} as const;
