// The capacity planner: an LP over pools × purchase options × periods, solved with HiGHS.
export * from './input.ts';
export * from './periods.ts';
export { planCapacity, type PlanResult, type ComponentStats } from './solve.ts';
export type { InstanceCounts } from './explain.ts';
export { SolverError } from './highs.ts';
