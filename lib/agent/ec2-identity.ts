// The node's identity on EC2, from the instance metadata service (IMDSv2), so EC2 events and batches match.
import type { NodeIdentity } from '../domain/usage.ts';

const IMDS = 'http://169.254.169.254';

export type Fetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Reads instance id, region, zone and type with an IMDSv2 session token; throws when not on EC2. */
export async function ec2Identity(
  fetchImpl: Fetch = fetch as unknown as Fetch,
  timeoutMs = 2000,
): Promise<Omit<NodeIdentity, 'poolId' | 'labels'>> {
  const signal = AbortSignal.timeout(timeoutMs);
  const tokenResponse = await fetchImpl(`${IMDS}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
    signal,
  });
  if (!tokenResponse.ok) throw new Error(`instance metadata token refused (HTTP ${tokenResponse.status})`);
  const token = await tokenResponse.text();
  const get = async (path: string) => {
    const r = await fetchImpl(`${IMDS}/latest/meta-data/${path}`, {
      headers: { 'X-aws-ec2-metadata-token': token },
      signal,
    });
    if (!r.ok) throw new Error(`instance metadata ${path}: HTTP ${r.status}`);
    return (await r.text()).trim();
  };
  const [nodeId, zone, instanceType] = await Promise.all([
    get('instance-id'),
    get('placement/availability-zone'),
    get('instance-type'),
  ]);
  const region = await get('placement/region').catch(() => zone.replace(/[a-z]$/, ''));
  return { nodeId, provider: 'aws', region, zone, instanceType };
}
