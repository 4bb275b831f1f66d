// How the GPUs inside an instance talk, from the source where it says so, else from the instance family (a stated rule).
import type { Interconnect } from '../domain/pool.ts';

export interface InterconnectFinding {
  interconnect: Interconnect;
  /** False only when the source named the link. */
  inferred: boolean;
}

/**
 * The family rule (written in data/catalog/SOURCE.md): one GPU has no peer link (pcie); AWS p4d/p4de/p5*
 * and p6* and GCP a2/a3/a4 with 8 or more GPUs, and Azure ND A100/H100/H200/MI300X, sit on an HGX board
 * with NVSwitch; smaller slices of those families, AWS p3, Azure ND V100 and NC H100 pairs (NVL bridge)
 * have NVLink; AWS trn1/trn2 NeuronLink is counted as nvlink (direct links, no switch). Everything else is pcie.
 */
export function inferInterconnect(
  provider: string,
  instanceType: string,
  gpuCount: number,
): InterconnectFinding {
  const inferred = true;
  if (gpuCount <= 1) return { interconnect: 'pcie', inferred };
  const type = instanceType.toLowerCase();
  if (provider === 'aws') {
    if (/^(p4d|p4de|p5|p5e|p5en|p6-[a-z0-9]+|p6e-[a-z0-9]+|u-p6e-[a-z0-9]+)[.]?/.test(type)) {
      return { interconnect: gpuCount >= 8 ? 'nvswitch' : 'nvlink', inferred };
    }
    if (/^(p3|p3dn|trn1|trn1n|trn2)\./.test(type)) return { interconnect: 'nvlink', inferred };
    return { interconnect: 'pcie', inferred };
  }
  if (provider === 'gcp') {
    if (/^(a2|a3|a4|a4x)-/.test(type))
      return { interconnect: gpuCount >= 8 ? 'nvswitch' : 'nvlink', inferred };
    return { interconnect: 'pcie', inferred };
  }
  if (provider === 'azure') {
    if (/^standard_nd\d+.*(a100|h100|h200|mi300x|_v4)/.test(type))
      return { interconnect: 'nvswitch', inferred };
    if (/^standard_nd/.test(type)) return { interconnect: 'nvlink', inferred };
    if (/^standard_nc\d+.*h100/.test(type)) return { interconnect: 'nvlink', inferred };
    return { interconnect: 'pcie', inferred };
  }
  return { interconnect: 'pcie', inferred };
}

/** Reads a source's own words ("600 GB/s NVSwitch", "1800 GB/s NVLink"); falls back to the family rule. */
export function interconnectFromSource(
  provider: string,
  instanceType: string,
  gpuCount: number,
  sourceText: string | undefined,
): InterconnectFinding {
  const text = sourceText?.toLowerCase() ?? '';
  if (text.includes('nvswitch')) return { interconnect: 'nvswitch', inferred: false };
  // An all-to-all NVLink domain of 8+ GPUs at full speed runs through switches (HGX B200, GB200 NVL).
  if (text.includes('nvlink'))
    return { interconnect: gpuCount >= 8 ? 'nvswitch' : 'nvlink', inferred: false };
  return inferInterconnect(provider, instanceType, gpuCount);
}
