// The Azure fleet's config (validated) and the provider it builds, with the SDK loaded on first use.
import { z } from 'zod';
import type { CapacityProvider } from '../../domain/ports.ts';
import { lazyProvider, zVmNamePrefix } from '../cloud-vm.ts';
import { createAzureProvider } from './provider.ts';

export const zAzureConfig = z.object({
  subscriptionId: z.string().min(1),
  resourceGroup: z.string().min(1),
  location: z.string().min(1),
  /** Availability zones ("1", "2", "3"); none = regional VMs. */
  zones: z.array(z.string().min(1)).default([]),
  /** GPU sizes, as the catalog names them ("Standard_NC24ads_A100_v4"). */
  vmSizes: z.array(z.string().min(1)).min(1),
  image: z.object({
    publisher: z.string().min(1),
    offer: z.string().min(1),
    sku: z.string().min(1),
    version: z.string().min(1).default('latest'),
  }),
  adminUsername: z.string().min(1),
  sshPublicKey: z.string().min(1),
  /** ARM id of the subnet the VMs' NICs join. */
  subnetId: z.string().regex(/\/subnets\/[^/]+$/, 'an ARM subnet id ending in /subnets/{name}'),
  osDiskSizeGiB: z.number().int().min(30).optional(),
  namePrefix: zVmNamePrefix.optional(),
});
export type AzureConfig = z.infer<typeof zAzureConfig>;

/** Credentials come from DefaultAzureCredential (environment, workload or managed identity, Azure CLI). */
export function createAzureFromConfig(config: AzureConfig): CapacityProvider {
  const { subscriptionId, image, adminUsername, sshPublicKey, subnetId, osDiskSizeGiB, ...fleet } = config;
  return lazyProvider(`azure-${config.resourceGroup}-${config.location}`, async () => {
    const { createAzureComputeClient } = await import('./client.ts');
    return createAzureProvider({
      ...fleet,
      compute: await createAzureComputeClient({ subscriptionId }),
      template: { image, adminUsername, sshPublicKey, subnetId, ...(osDiskSizeGiB ? { osDiskSizeGiB } : {}) },
    });
  });
}
