// Which non-AWS fleets to poll, from one validated config: Slurm, Kubernetes, GCP, Azure, and Prometheus/DCGM for GPU samples.
import { z } from 'zod';
import { zUsdAmountOrNumber } from '../domain/money.ts';
import type { CapacityProvider, UtilizationSource } from '../domain/ports.ts';
import { createAzureFromConfig, zAzureConfig } from './azure/config.ts';
import { createGcpFromConfig, zGcpConfig } from './gcp/config.ts';
import { identifyByNodeName } from './identify.ts';
import { createKubernetesProvider } from './kubernetes/provider.ts';
import { createPrometheusDcgmSource } from './prometheus/source.ts';
import { createSlurmRestClient } from './slurm/client.ts';
import { createSlurmProvider } from './slurm/provider.ts';
import { createScontrolRunner } from './slurm/scontrol.ts';

export const zConnectorsConfig = z.object({
  slurm: z
    .object({
      url: z.url(),
      user: z.string().min(1),
      token: z.string().min(1),
      cluster: z.string().min(1).optional(),
      /** Cost of owning and running one GPU for an hour: dollars, "1.25" (or 1.25), read exactly. */
      onPremUsdPerGpuHour: zUsdAmountOrNumber.optional(),
      /** slurm.conf for scontrol, needed by Slurm before 23.02 to change nodes. */
      slurmConf: z.string().min(1).optional(),
    })
    .optional(),
  kubernetes: z
    .object({ url: z.url(), token: z.string().min(1).optional(), cluster: z.string().min(1) })
    .optional(),
  prometheus: z
    .object({
      url: z.url(),
      selector: z.string().optional(),
      sampleIntervalSeconds: z.number().int().min(1).max(300).default(60),
      /** Whose nodes the DCGM hosts are: their samples are sent under that fleet's node ids. */
      nodesOf: z.enum(['slurm', 'kubernetes']).default('slurm'),
    })
    .optional(),
  gcp: zGcpConfig.optional(),
  azure: zAzureConfig.optional(),
});
export type ConnectorsConfig = z.infer<typeof zConnectorsConfig>;

/** The configured fleets as providers; Prometheus, when set, supplies the GPU samples of the fleet it names. */
export function createConnectors(config: ConnectorsConfig, fetchImpl?: typeof fetch): CapacityProvider[] {
  const providers: CapacityProvider[] = [];
  let nodesForPrometheus: CapacityProvider | undefined;
  const prometheus = config.prometheus;
  // The source is built lazily so it can name nodes through the very provider it is plugged into.
  const utilization: UtilizationSource | undefined = prometheus && {
    utilization: (fromMs, toMs) =>
      createPrometheusDcgmSource({
        url: prometheus.url,
        selector: prometheus.selector,
        sampleIntervalSeconds: prometheus.sampleIntervalSeconds,
        fetch: fetchImpl,
        ...(nodesForPrometheus ? { identify: identifyByNodeName(() => nodesForPrometheus!.nodes()) } : {}),
      }).utilization(fromMs, toMs),
  };
  if (config.slurm) {
    const s = config.slurm;
    const client = createSlurmRestClient({
      url: s.url,
      user: s.user,
      token: s.token,
      fetch: fetchImpl,
      ...(s.slurmConf ? { scontrol: createScontrolRunner({ slurmConf: s.slurmConf }) } : {}),
    });
    const provider = createSlurmProvider({
      client,
      cluster: s.cluster,
      onPremUsdPerGpuHour: s.onPremUsdPerGpuHour,
      ...(prometheus?.nodesOf === 'slurm' ? { utilization } : {}),
    });
    if (prometheus?.nodesOf === 'slurm') nodesForPrometheus = provider;
    providers.push(provider);
  }
  if (config.kubernetes) {
    const provider = createKubernetesProvider({
      ...config.kubernetes,
      fetch: fetchImpl,
      ...(prometheus?.nodesOf === 'kubernetes' ? { utilization } : {}),
    });
    if (prometheus?.nodesOf === 'kubernetes') nodesForPrometheus = provider;
    providers.push(provider);
  }
  if (config.gcp) providers.push(createGcpFromConfig(config.gcp));
  if (config.azure) providers.push(createAzureFromConfig(config.azure));
  return providers;
}
