// Pricing API and EC2 answers on the recorded response shapes of test/fixtures/aws-pricing, for the GPU types a deployment configures.
import { readFileSync } from 'node:fs';
import {
  DescribeInstanceTypesCommand,
  DescribeSpotPriceHistoryCommand,
  type EC2Client,
  type InstanceTypeInfo,
  type SpotPrice,
} from '@aws-sdk/client-ec2';
import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import type { AwsClientStub } from 'aws-sdk-client-mock';

const FIXTURES = new URL('../fixtures/aws-pricing/', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as unknown;

/** The p4d.24xlarge on-demand SKU of the recorded us-east-1 offer file ($32.7726 an hour). */
const P4D_SKU = 'H7NGEAC6UEHNTKSJ';
export const P4D_ON_DEMAND_USD = '32.7726';
/** g5.xlarge in us-east-1 as the public price list gives it; the item reuses the recorded m5.large item's shape. */
export const G5_ON_DEMAND_USD = '1.006';

function p4dItem(): string {
  const offer = json('opencost__pricing-us-east-1.json') as {
    products: Record<string, unknown>;
    terms: { OnDemand: Record<string, unknown> };
  };
  return JSON.stringify({
    product: offer.products[P4D_SKU],
    terms: { OnDemand: offer.terms.OnDemand[P4D_SKU] },
  });
}

function g5Item(): string {
  const m5 = json('ec2-instance-selector__GetProducts_m5_large.json') as {
    product: { attributes: Record<string, string> };
    terms: { OnDemand: Record<string, { priceDimensions: Record<string, Record<string, unknown>> }> };
  };
  const onDemand = structuredClone(m5.terms.OnDemand);
  for (const term of Object.values(onDemand))
    for (const dimension of Object.values(term.priceDimensions)) {
      dimension.pricePerUnit = { USD: G5_ON_DEMAND_USD };
      dimension.description = `$${G5_ON_DEMAND_USD} per On Demand Linux g5.xlarge Instance Hour`;
    }
  return JSON.stringify({
    ...m5,
    product: {
      ...m5.product,
      attributes: {
        ...m5.product.attributes,
        instanceType: 'g5.xlarge',
        instanceFamily: 'GPU instance',
        usagetype: 'BoxUsage:g5.xlarge',
        gpu: '1',
      },
    },
    // On-demand only: the recorded reserved terms are an m5's.
    terms: { OnDemand: onDemand },
  });
}

/** The recorded g2.2xlarge DescribeInstanceTypes entry carrying another type's GPUs. */
function instanceType(type: string, count: number, name: string, mib: number): InstanceTypeInfo {
  const g2 = (
    json('ec2-instance-selector__DescribeInstanceTypes_g2_2xlarge.json') as {
      InstanceTypes: InstanceTypeInfo[];
    }
  ).InstanceTypes[0]!;
  return {
    ...g2,
    InstanceType: type as InstanceTypeInfo['InstanceType'],
    GpuInfo: {
      Gpus: [{ Count: count, Manufacturer: 'NVIDIA', MemoryInfo: { SizeInMiB: mib }, Name: name }],
      TotalGpuMemoryInMiB: count * mib,
    },
  };
}

export const INSTANCE_TYPES: InstanceTypeInfo[] = [
  instanceType('g5.xlarge', 1, 'A10G', 24576),
  instanceType('p4d.24xlarge', 8, 'A100', 40960),
];

/** Spot prices per instance type used by the answers below. */
export const SPOT_USD: Record<string, string> = { 'g5.xlarge': '0.452100', 'p4d.24xlarge': '12.498700' };

/** Answers for one zone and the types asked, on the recorded DescribeSpotPriceHistory entry shape. */
function spotHistory(zone: string, types: readonly string[], atMs: number): SpotPrice[] {
  const [entry] = (
    json('aws-cli-docs__ec2_describe-spot-price-history_output_vpc.json') as { SpotPriceHistory: SpotPrice[] }
  ).SpotPriceHistory;
  return types
    .filter((t) => SPOT_USD[t] !== undefined)
    .flatMap((t) => [
      // An older point first: the run must keep the latest one.
      {
        ...entry,
        InstanceType: t as SpotPrice['InstanceType'],
        AvailabilityZone: zone,
        SpotPrice: '99.000000',
        Timestamp: new Date(atMs - 7_200_000),
      },
      {
        ...entry,
        InstanceType: t as SpotPrice['InstanceType'],
        AvailabilityZone: zone,
        SpotPrice: SPOT_USD[t],
        Timestamp: new Date(atMs - 600_000),
      },
    ]);
}

/** Every call the price refresh makes answers as AWS would for a us-east-1 deployment of g5.xlarge and p4d.24xlarge. */
export function answerAwsPrices(
  pricing: AwsClientStub<PricingClient>,
  ec2: AwsClientStub<EC2Client>,
  nowMs: () => number,
): void {
  pricing.on(GetProductsCommand).resolves({ PriceList: [p4dItem(), g5Item()], FormatVersion: 'aws_v1' });
  ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: INSTANCE_TYPES });
  ec2
    .on(DescribeSpotPriceHistoryCommand)
    .callsFake((input: { AvailabilityZone?: string; InstanceTypes?: string[] }) => ({
      SpotPriceHistory: spotHistory(input.AvailabilityZone ?? '', input.InstanceTypes ?? [], nowMs()),
    }));
}
