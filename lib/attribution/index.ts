// Cost attribution (FOCUS rows), its exports and the savings ledger helpers.
export * from './cost.ts';
export * from './export.ts';
export * from './hour.ts';
export * from './ledger.ts';
export * from './options.ts';
export * from './summary.ts';
