// Builds the Azure compute client the Azure provider uses, with DefaultAzureCredential or a given credential.
import { ComputeManagementClient } from '@azure/arm-compute';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

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
 * @azure/arm-compute is pinned to 24.x and @azure/identity to 4.x: their next majors need Node 22, and this
 * project runs on Node 20 with engine-strict.
 */
export function createAzureComputeClient(options: AzureClientOptions): ComputeManagementClient {
  return new ComputeManagementClient(
    options.credential ?? new DefaultAzureCredential(),
    options.subscriptionId,
    {
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.httpClient ? { httpClient: options.httpClient } : {}),
      ...(options.maxRetries === undefined ? {} : { retryOptions: { maxRetries: options.maxRetries } }),
    },
  );
}
