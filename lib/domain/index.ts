// The contracts every part of gpu-optimizer speaks; pure, no I/O.
export * from './attribution.ts';
export * from './bill.ts';
export * from './events.ts';
export * from './fields.ts';
export * from './fleet.ts';
export * from './forecast.ts';
export * from './labels.ts';
export * from './ledger.ts';
export * from './money.ts';
export * from './plan.ts';
export * from './pool.ts';
export * from './ports.ts';
export * from './price.ts';
export * from './time.ts';
export * from './usage.ts';
export * from './validation.ts';
export * from './workload.ts';
