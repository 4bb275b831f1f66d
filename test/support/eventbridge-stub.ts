// A local EventBridge-compatible endpoint for PutEvents (AWS JSON 1.1 over HTTP on 127.0.0.1): records what it is sent.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: string;
}

export interface EventBridgeStub {
  /** The endpoint to give the SDK (AWS_ENDPOINT_URL_EVENTBRIDGE or the client's `endpoint`). */
  url: string;
  entries: StubEntry[];
  calls: number;
  /**
   * Buses that exist. The service itself accepts entries for a bus that does not exist and drops them; the
   * stub refuses them, so a wrong bus name shows in a test.
   */
  buses: Set<string>;
  /** The Authorization header of each call (SigV4). */
  authorizations: string[];
  close(): Promise<void>;
}

export async function startEventBridgeStub(buses: readonly string[]): Promise<EventBridgeStub> {
  const stub: Omit<EventBridgeStub, 'url' | 'close'> = {
    entries: [],
    calls: 0,
    buses: new Set(buses),
    authorizations: [],
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'AWSEvents.PutEvents') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: String(target) }));
        return;
      }
      stub.calls++;
      stub.authorizations.push(String(req.headers.authorization ?? ''));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: StubEntry[] };
      const results = body.Entries.map((entry) => {
        if (!stub.buses.has(entry.EventBusName ?? 'default')) {
          return {
            ErrorCode: 'ResourceNotFoundException',
            ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
          };
        }
        stub.entries.push(entry);
        return { EventId: randomUUID() };
      });
      res.end(
        JSON.stringify({
          FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
          Entries: results,
        }),
      );
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return Object.assign(stub as EventBridgeStub, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  });
}
