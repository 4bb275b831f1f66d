// An HTTP server of the test on 127.0.0.1 standing in for a Slack incoming webhook or the Web API: records posts, answers by script.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface FakeSlack {
  url: string;
  posts: ReceivedPost[];
  /** Answers for the next posts, in order; after them every post gets 200 "ok". */
  script: ScriptedAnswer[];
  close(): Promise<void>;
}

/**
 * `webApi`: answer as chat.postMessage does (`{ok: true, ts}`, a new ts per message) instead of a webhook's
 * plain "ok"; `url` is then the API base.
 */
export async function startFakeSlack(options: { webApi?: boolean } = {}): Promise<FakeSlack> {
  let messages = 0;
  const posts: ReceivedPost[] = [];
  const script: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the test sees what was sent
      }
      posts.push({ path: req.url ?? '', headers: req.headers, body });
      const answer =
        script.shift() ??
        (options.webApi
          ? {
              status: 200,
              body: JSON.stringify({ ok: true, ts: `1772445600.${String(++messages).padStart(6, '0')}` }),
            }
          : { status: 200, body: 'ok' });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? (answer.status === 200 ? 'ok' : 'error'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: options.webApi ? `http://127.0.0.1:${port}/api` : `http://127.0.0.1:${port}/services/T000/B000/XXXX`,
    posts,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
