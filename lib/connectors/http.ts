// JSON over HTTP for the connectors that speak plain REST (slurmrestd, Prometheus, Kubernetes): timeouts and errors that say where.

/** A request a connector could not complete: the status (0 = no answer) and the start of the body say why. */
export class ConnectorHttpError extends Error {
  constructor(
    readonly connector: string,
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(
      `${connector}: ${method} ${url} ${status === 0 ? 'got no answer' : `answered ${status}`}${body ? `: ${body.slice(0, 300)}` : ''}`,
    );
    this.name = 'ConnectorHttpError';
  }
}

export interface JsonRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

export interface JsonResponse {
  status: number;
  json: unknown;
}

/** A connector's view of one HTTP endpoint: base URL, auth headers, timeout. */
export interface JsonHttp {
  request(req: JsonRequest): Promise<JsonResponse>;
}

export interface JsonHttpOptions {
  connector: string;
  baseUrl: string;
  headers?: () => Record<string, string>;
  /** A slurmrestd or API server that hangs must not hold a scheduled run past its own timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Statuses answered with a body rather than thrown, e.g. 429 from the Eviction API. */
  acceptStatuses?: readonly number[];
}

export const DEFAULT_HTTP_TIMEOUT_MS = 15_000;

export function createJsonHttp(options: JsonHttpOptions): JsonHttp {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async request(req) {
      const method = req.method ?? 'GET';
      const url = new URL(base + req.path);
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(options.headers?.() ?? {}),
        ...(req.headers ?? {}),
      };
      if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
      let response: Response;
      try {
        response = await doFetch(url, {
          method,
          headers,
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS),
        });
      } catch (error) {
        throw new ConnectorHttpError(options.connector, method, url.pathname, 0, String(error));
      }
      const text = await response.text();
      const accepted = response.ok || (options.acceptStatuses ?? []).includes(response.status);
      if (!accepted)
        throw new ConnectorHttpError(options.connector, method, url.pathname, response.status, text);
      let json: unknown = null;
      if (text) {
        try {
          json = JSON.parse(text);
        } catch {
          throw new ConnectorHttpError(
            options.connector,
            method,
            url.pathname,
            response.status,
            `not JSON: ${text}`,
          );
        }
      }
      return { status: response.status, json };
    },
  };
}
