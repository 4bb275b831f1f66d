// The idle detector and reclaim planner: pure functions over nodes, rollups, thresholds and a time.
export * from './detector.ts';
export * from './lifecycle.ts';
export * from './policy.ts';
export * from './stalled.ts';
export * from './thresholds.ts';
export type * from './types.ts';
