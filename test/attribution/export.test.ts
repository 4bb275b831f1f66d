import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attributionCsv, attributionJson } from '../../lib/attribution/export.ts';
import { ATTRIBUTION_COLUMNS, zAttributionRow, type AttributionRow } from '../../lib/domain/attribution.ts';
import { parseUsd } from '../../lib/domain/money.ts';

const row: AttributionRow = {
  BilledCost: parseUsd('1.5'),
  EffectiveCost: parseUsd('1.5'),
  ListCost: parseUsd('4.000001'),
  ChargeCategory: 'Usage',
  ChargePeriodStart: '2026-03-02T10:00:00Z',
  ChargePeriodEnd: '2026-03-02T11:00:00Z',
  PricingCategory: 'Dynamic',
  ResourceId: 'i-1',
  ResourceType: 'Virtual Machine',
  RegionId: 'us-east-1',
  SkuPriceId: 'pool-a|spot',
  Tags: { 'instance-type': 'p4d.24xlarge', 'gpu-model': 'A100' },
  x_JobId: 'job,"quoted"',
  x_User: 'ada',
  x_Project: 'detect',
  x_Team: 'vision',
  x_PoolId: 'pool-a',
  x_PurchaseOption: 'spot',
  x_GpuSeconds: 3600,
  x_CostSource: 'list',
};

describe('attribution export', () => {
  it('writes CSV in the FOCUS column order with money as 6-place decimals, escaping what needs it', () => {
    const [header, line] = attributionCsv([row]).trimEnd().split('\n');
    expect(header!.split(',')).toEqual(ATTRIBUTION_COLUMNS);
    expect(header!.startsWith('BilledCost,EffectiveCost,ListCost,ChargeCategory,ChargePeriodStart')).toBe(
      true,
    );
    expect(line).toBe(
      '1.500000,1.500000,4.000001,Usage,2026-03-02T10:00:00Z,2026-03-02T11:00:00Z,Dynamic,i-1,Virtual Machine,' +
        'us-east-1,pool-a|spot,"{""gpu-model"":""A100"",""instance-type"":""p4d.24xlarge""}","job,""quoted""",' +
        'ada,detect,vision,pool-a,spot,3600,list',
    );
  });

  it('writes JSON that decodes back to the same rows', () => {
    const parsed = JSON.parse(attributionJson([row])) as unknown[];
    expect((parsed[0] as Record<string, unknown>).EffectiveCost).toBe('1.500000');
    expect(parsed.map((p) => z.decode(zAttributionRow, p as never))).toEqual([row]);
  });
});
