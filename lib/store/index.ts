// The DynamoDB Store: every repository over one table (keys in KEYS.md).
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Store } from '../domain/ports.ts';
import { createAttributionRepository } from './attribution.ts';
import { createBillRepository } from './bills.ts';
import { createCalibrationRepository } from './calibration.ts';
import { createWorkloadClassRepository } from './classes.ts';
import { createDemandRepository } from './demand.ts';
import { createForecastRepository } from './forecasts.ts';
import { DEFAULT_RETRY, type RetryPolicy, type TableContext } from './io.ts';
import { createLedgerRepository } from './ledger.ts';
import { createNodeRepository } from './nodes.ts';
import { createPlanRepository } from './plans.ts';
import { createPoolRepository } from './pools.ts';
import { createPriceRepository } from './prices.ts';
import { createRollupRepository } from './rollups.ts';

export interface DynamoStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Backoff for throttling and UnprocessedItems; tests shorten it. */
  retry?: Partial<RetryPolicy>;
}

export function createDynamoStore(options: DynamoStoreOptions): Store {
  const ctx: TableContext = {
    client: options.client,
    tableName: options.tableName,
    retry: { ...DEFAULT_RETRY, ...options.retry },
  };
  return {
    rollups: createRollupRepository(ctx),
    nodes: createNodeRepository(ctx),
    forecasts: createForecastRepository(ctx),
    plans: createPlanRepository(ctx),
    ledger: createLedgerRepository(ctx),
    attribution: createAttributionRepository(ctx),
    prices: createPriceRepository(ctx),
    classes: createWorkloadClassRepository(ctx),
    pools: createPoolRepository(ctx),
    bills: createBillRepository(ctx),
    demand: createDemandRepository(ctx),
    calibration: createCalibrationRepository(ctx),
  };
}

export { BatchWriteIncompleteError, DEFAULT_RETRY, type RetryPolicy } from './io.ts';
export { createTable, tableDefinition } from './table.ts';
