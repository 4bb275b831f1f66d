// `gpu-optimizer reconcile --endpoint --table`: attribution (and, without --bill, the imported bills) read from DynamoDB.
import { describe, expect, inject, it } from 'vitest';
import { reconcileCommand } from '../../lib/cli/commands/reconcile.ts';
import { captureIo } from '../support/cli.ts';
import { freshDynamoStore } from '../support/dynamo.ts';
import { BILLING_DIR, FOCUS_BILL as BILL, importFocusBill, seedListPriceAttribution } from './fixtures.ts';
const LINE =
  '2026-03-02  444455556666  OVER bill $82.18 vs attributed $115.33 (−$33.15, 40.33%): price differences −$32.44';

async function seededTable() {
  const fresh = await freshDynamoStore();
  await seedListPriceAttribution(fresh.store);
  return fresh;
}

const range = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

describe('gpu-optimizer reconcile against the table', () => {
  it('reads the attribution from --table through --endpoint, reconciling a bill file as with a CSV', async () => {
    const { tableName } = await seededTable();
    const io = captureIo(BILLING_DIR);
    const flags = { ...range, bill: BILL, table: tableName, endpoint: inject('dynamoEndpoint') };
    expect(await reconcileCommand.run({ flags, positionals: [] }, io)).toBe(0);
    expect(io.out).toContain(LINE);
  });

  it('reconciles the exports the import-bill run stored when no --bill is given', async () => {
    const { store, tableName } = await seededTable();
    await importFocusBill(store);
    const io = captureIo();
    io.env = { GPU_OPTIMIZER_TABLE: tableName, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint') };
    expect(await reconcileCommand.run({ flags: { ...range, json: true }, positionals: [] }, io)).toBe(0);
    const out = JSON.parse(io.out);
    expect(out.bill).toMatchObject({ source: 'table', rows: 12 });
    expect(out.reconciliation.days[0].varianceUsd).toBe('-33.150572');
  });

  it('says where the attribution can come from when neither a CSV nor a table is named', async () => {
    await expect(
      reconcileCommand.run({ flags: { ...range, bill: BILL }, positionals: [] }, captureIo(BILLING_DIR)),
    ).rejects.toThrow(/--attribution .* or --table/);
  });
});
