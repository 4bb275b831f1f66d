// AWS spot is modelled from real AWS figures (recorded AWS spot series, the published p4d range), never from Azure's flat discount.
import { describe, expect, it } from 'vitest';
import { parseUsd, usdToNumber } from '../../lib/domain/money.ts';
import { loadCatalog } from '../../lib/pricing/catalog.ts';
import {
  applyModels,
  AWS_CURRENT_SPOT_RATIO,
  AWS_P4D_SPOT_MONTHLY_MEAN_USD,
  measureRatios,
} from '../../lib/pricing/modelling.ts';
import type { Offering } from '../../lib/pricing/offering.ts';

const catalog = loadCatalog({ strict: true });

/** A catalog row made into the offering a test needs, with no spot or committed rate of its own. */
function offering(
  fields: Pick<Offering, 'provider' | 'gpuModel' | 'onDemandUsdPerHour'> & Partial<Offering>,
): Offering {
  const {
    spotUsdPerHour: _s,
    reserved1yUsdPerHour: _r1,
    reserved3yUsdPerHour: _r3,
    ...base
  } = catalog.offerings[0]!;
  return { ...base, spotModelled: false, reserved1yModelled: false, reserved3yModelled: false, ...fields };
}

describe('the AWS spot model', () => {
  // Azure-like flat discounts on V100: the median the old rule applied to AWS.
  const published = [
    ...[1, 2, 3].map(() =>
      offering({
        provider: 'azure',
        gpuModel: 'V100',
        onDemandUsdPerHour: parseUsd('10'),
        spotUsdPerHour: parseUsd('1.848'),
      }),
    ),
    offering({
      provider: 'aws',
      gpuModel: 'T4',
      onDemandUsdPerHour: parseUsd('1'),
      reserved1yUsdPerHour: parseUsd('0.6'),
    }),
  ];
  const samples = [
    { gpuModel: 'V100', spotToOnDemand: 0.3 },
    { gpuModel: 'V100', spotToOnDemand: 0.31 },
    { gpuModel: 'V100', spotToOnDemand: 0.3 },
    // An hour priced at on-demand is no spot market (eu-west-1c) and is not measured.
    { gpuModel: 'V100', spotToOnDemand: 1 },
  ];
  const ratios = measureRatios(published, samples);

  it('takes a recorded GPU from its AWS hours, not from the other clouds', () => {
    expect(ratios.awsSpot.get('V100')).toEqual({ ratio: 0.3, offerings: 3, basis: 'V100' });
    const aws = applyModels(
      offering({ provider: 'aws', gpuModel: 'V100', onDemandUsdPerHour: parseUsd('24.48') }),
      ratios,
    );
    expect(aws.spotUsdPerHour).toBe(parseUsd('7.344'));
    expect(aws.spotModelled).toBe(true);
    // Azure keeps its own clouds' ratio for the rows it lacks.
    const azure = applyModels(
      offering({ provider: 'azure', gpuModel: 'V100', onDemandUsdPerHour: parseUsd('10') }),
      ratios,
    );
    expect(azure.spotUsdPerHour).toBe(parseUsd('1.848'));
  });

  it('takes an unrecorded GPU at the midpoint of the published p4d monthly means', () => {
    const { low, high, onDemand } = AWS_P4D_SPOT_MONTHLY_MEAN_USD;
    expect(AWS_CURRENT_SPOT_RATIO.ratio).toBeCloseTo((low + high) / 2 / onDemand, 12);
    const p4d = applyModels(
      offering({ provider: 'aws', gpuModel: 'A100', onDemandUsdPerHour: parseUsd('21.96') }),
      ratios,
    );
    expect(usdToNumber(p4d.spotUsdPerHour!)).toBeCloseTo(12.5, 5);
  });
});

describe('the bundled catalog prices AWS spot on AWS figures', () => {
  const aws = (type: string) =>
    catalog.find({ provider: 'aws', region: 'us-east-1' }).find((o) => o.instanceType === type)!;
  const ratio = (o: Offering) => usdToNumber(o.spotUsdPerHour!) / usdToNumber(o.onDemandUsdPerHour);

  it('p3, p3dn and g4dn at their recorded ratio of about 0.30, not 0.185', () => {
    for (const type of ['p3.2xlarge', 'p3.16xlarge', 'p3dn.24xlarge', 'g4dn.xlarge']) {
      const o = aws(type);
      expect(o.spotModelled).toBe(true);
      expect(ratio(o), type).toBeGreaterThanOrEqual(0.295);
      expect(ratio(o), type).toBeLessThanOrEqual(0.32);
    }
    expect(aws('p3.16xlarge').spotUsdPerHour).toBe(parseUsd('7.344'));
  });

  it('p4d inside the published $6–19/h range, and no AWS row at an Azure-dominated discount', () => {
    const p4d = usdToNumber(aws('p4d.24xlarge').spotUsdPerHour!);
    expect(p4d).toBeGreaterThan(AWS_P4D_SPOT_MONTHLY_MEAN_USD.low);
    expect(p4d).toBeLessThan(AWS_P4D_SPOT_MONTHLY_MEAN_USD.high);
    const ratios = catalog.find({ provider: 'aws' }).map(ratio);
    expect(Math.min(...ratios)).toBeGreaterThanOrEqual(0.295);
  });
});
