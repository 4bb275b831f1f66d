// The trace reader: formats, streaming reader and aggregation to demand series.
export * from './aggregate.ts';
export * from './csv.ts';
export * from './format.ts';
export * from './reader.ts';
