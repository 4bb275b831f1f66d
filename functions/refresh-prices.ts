// Lambda door of the refresh-prices run: daily and at each deploy; the configured pools' prices into the table.
import type { ScheduledEvent } from 'aws-lambda';
import { openDoor } from '../lib/system/door.ts';
import { refreshPrices, type RefreshPricesResult } from '../lib/runs/refresh-prices.ts';

const door = openDoor('refreshPrices');

/** The Pricing API answers in us-east-1 (and a few others); every region's list prices are read there. */
const PRICING_REGION = 'us-east-1';

export async function refreshPricesHandler(_event: ScheduledEvent): Promise<RefreshPricesResult> {
  const { config, assembly } = await door.system();
  const [{ PricingClient }, { EC2Client }] = await Promise.all([
    import('@aws-sdk/client-pricing'),
    import('@aws-sdk/client-ec2'),
  ]);
  const store = await assembly.store();
  return refreshPrices(
    {
      // The config is the truth about pools: prices follow it even before sync-config has stored it.
      store: { prices: store.prices, pools: { ...store.pools, list: async () => config.pools } },
      pricing: new PricingClient({ region: PRICING_REGION }),
      ec2: new EC2Client({ region: config.region }),
      events: await assembly.events(),
      clock: assembly.clock,
      log: door.log,
    },
    door.entry.options(config),
  );
}

export const handler = door.wrap(refreshPricesHandler);
