// Builds the Azure compute client the Azure provider uses, with DefaultAzureCredential or a given credential.
import type { ComputeManagementClient } from '@azure/arm-compute';
import type { TokenCredential } from '@azure/identity';
import { importOptionalSdk } from '../cloud-vm.ts';

/** The SDK pipeline's transport, typed through the client's own options (its package is not ours to import). */
type HttpClient = NonNullable<
  NonNullable<ConstructorParameters<typeof ComputeManagementClient>[2]>['httpClient']
>;

export interface AzureClientOptions {
  subscriptionId: string;
  /** Azure Resource Manager endpoint; management.azure.com by default. */
  endpoint?: string;
  /** DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI) when absent. */
  credential?: TokenCredential;
  /** The transport under the SDK pipeline; tests give one that reaches a local server. */
  httpClient?: HttpClient;
  /** Retries of throttled or failed calls; the SDK's default (3) when absent. */
  maxRetries?: number;
}

/**
 * The SDKs are imported on first use: only fleets with an Azure
 * connector need them.
 */
export async function createAzureComputeClient(
  options: AzureClientOptions,
): Promise<ComputeManagementClient> {
  const { ComputeManagementClient } = await importOptionalSdk(
    () => import('@azure/arm-compute'),
    '@azure/arm-compute@25',
  );
  const credential =
    options.credential ??
    new (
      await importOptionalSdk(() => import('@azure/identity'), '@azure/identity@4')
    ).DefaultAzureCredential();
  return new ComputeManagementClient(credential, options.subscriptionId, {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
    ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
  });
}
