// The GCP fleet's config (validated) and the provider it builds, with the SDK loaded on first use.
import { z } from 'zod';
import type { CapacityProvider } from '../../domain/ports.ts';
import { lazyProvider, zVmNamePrefix } from '../cloud-vm.ts';
import { createGcpProvider } from './provider.ts';

export const zGcpConfig = z.object({
  project: z.string().min(1),
  region: z.string().min(1),
  zones: z.array(z.string().min(1)).min(1),
  /** Machine types with GPUs, as the catalog names them ("a3-highgpu-8g", "n1-standard-8+1xT4"). */
  machineTypes: z.array(z.string().min(1)).min(1),
  /** e.g. projects/{project}/global/instanceTemplates/{name}: image, network, service account of every launch. */
  instanceTemplate: z.string().min(1),
  namePrefix: zVmNamePrefix.optional(),
});
export type GcpConfig = z.infer<typeof zGcpConfig>;

/** Credentials come from Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity). */
export function createGcpFromConfig(config: GcpConfig): CapacityProvider {
  return lazyProvider(`gcp-${config.project}-${config.region}`, async () => {
    const { createGcpComputeClients } = await import('./client.ts');
    return createGcpProvider({ ...(await createGcpComputeClients()), ...config });
  });
}
