// The agent's one AWS call, PutEvents, as a port: a signed HTTPS request in the shipped agent, the SDK client in tests.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';
import type { PutEntry } from './entries.ts';

/** One entry's result, as EventBridge answers it. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsPort {
  /** Entries in, one result per entry in the same order; throws when the call itself fails. */
  putEvents(busName: string, entries: readonly PutEntry[]): Promise<PutEventsResultEntry[]>;
}

/** node:crypto in the shape the SigV4 signer takes. */
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

export interface SignedPutEventsOptions {
  region: string;
  /** AWS_ENDPOINT_URL_EVENTBRIDGE, then AWS_ENDPOINT_URL, then the regional endpoint. */
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  timeoutMs?: number;
}

export function regionalEventsEndpoint(region: string): string {
  return `https://events.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/**
 * PutEvents without the EventBridge client: the client and its protocol stack cost the agent ~28 MiB of
 * resident memory, the signer and the standard credential chain (instance profile, IRSA, Pod Identity,
 * credential_process for IAM Roles Anywhere) about half that.
 */
export function signedPutEvents(options: SignedPutEventsOptions): PutEventsPort {
  const url = new URL(options.endpoint ?? regionalEventsEndpoint(options.region));
  const signer = new SignatureV4({
    service: 'events',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });
  return {
    async putEvents(busName, entries) {
      const body = JSON.stringify({
        Entries: entries.map((e) => ({
          ...e,
          // AWS JSON 1.1 carries timestamps as epoch seconds.
          ...(e.Time ? { Time: new Date(e.Time).getTime() / 1000 } : {}),
          EventBusName: busName,
        })),
      });
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname || '/',
        query: {},
        headers: {
          host: url.host,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AWSEvents.PutEvents',
        },
        body,
      });
      const response = await post(url, signed.headers, body, options.timeoutMs ?? 15_000);
      const text = response.body;
      const parsed = (text ? JSON.parse(text) : {}) as {
        Entries?: PutEventsResultEntry[];
        __type?: string;
        message?: string;
        Message?: string;
      };
      if (response.status !== 200) {
        const name = (parsed.__type ?? `HTTP ${response.status}`).split('#').pop();
        throw new Error(`${name}: ${parsed.message ?? parsed.Message ?? 'no message'}`);
      }
      return parsed.Entries ?? [];
    },
  };
}

/** node:http(s) rather than fetch: fetch's first use loads undici, about 10 MiB more for the agent to hold. */
function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} in ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end(body);
  });
}

/** Where the agent sends: the region from the environment (or the instance), the endpoint override if any. */
export function putEventsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  instanceRegion?: string,
): PutEventsPort {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? instanceRegion;
  if (!region)
    throw new Error('no AWS region: set AWS_REGION (the region of the optimizer’s bus), or use --ec2');
  const endpoint = env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? env.AWS_ENDPOINT_URL;
  return signedPutEvents({ region, ...(endpoint ? { endpoint } : {}) });
}
