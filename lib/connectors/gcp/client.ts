// Builds the Compute Engine clients the GCP provider uses, over the REST transport, with default or given credentials.
import type { InstancesClient, ZoneOperationsClient } from '@google-cloud/compute';
import { importOptionalSdk } from '../cloud-vm.ts';

/** What google-gax's REST transport needs of an auth client: headers for a request, and a fetch that adds them. */
export interface GcpAuthClient {
  getRequestHeaders(url?: string): Promise<Headers>;
  fetch(url: string, init: RequestInit): Promise<Response>;
}

export interface GcpClientOptions {
  /** Host of the Compute Engine API; compute.googleapis.com by default. */
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Credentials; Application Default Credentials when absent. */
  authClient?: GcpAuthClient;
}

export interface GcpComputeClients {
  instances: InstancesClient;
  zoneOperations: ZoneOperationsClient;
  close(): Promise<void>;
}

/**
 * `fallback: true` selects the HTTP/1.1 REST transport (Compute Engine's own protocol), so no
 * gRPC is loaded. The SDK is imported on first use: it is large, and only fleets with a GCP connector need it.
 */
export async function createGcpComputeClients(options: GcpClientOptions = {}): Promise<GcpComputeClients> {
  const { InstancesClient, ZoneOperationsClient } = await importOptionalSdk(
    () => import('@google-cloud/compute'),
    '@google-cloud/compute@7',
  );
  const common = {
    fallback: true,
    ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
    // The client defaults the port to 443 even for a custom endpoint, so a local one must name its port.
    ...(options.port ? { port: options.port } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
    ...(options.authClient ? { authClient: options.authClient } : {}),
  };
  const instances = new InstancesClient(common as ConstructorParameters<typeof InstancesClient>[0]);
  const zoneOperations = new ZoneOperationsClient(
    common as ConstructorParameters<typeof ZoneOperationsClient>[0],
  );
  return {
    instances,
    zoneOperations,
    async close() {
      await Promise.all([instances.close(), zoneOperations.close()]);
    },
  };
}
