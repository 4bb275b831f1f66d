// The forecasting engine: demand models, backtests, selection, bands and anomalies; pure, no I/O.
export * from './anomaly.ts';
export * from './demand.ts';
export * from './engine.ts';
export * from './metrics.ts';
export * from './models/index.ts';
export * from './series.ts';
export * from './conformal.ts';
export * from './hierarchy.ts';
export * from './short-history.ts';
