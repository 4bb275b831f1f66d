import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { drainSpool } from '../../lib/agent/drain.ts';
import { sdkPutEvents } from '../../lib/agent/put-events-sdk.ts';
import { entrySize, groupIntoCalls, MAX_ENTRIES_PER_CALL, type PutEntry } from '../../lib/agent/entries.ts';
import { backoffDelayMs, DEFAULT_RETRY, putEntries } from '../../lib/agent/sender.ts';
import { FileSpool } from '../../lib/agent/spool.ts';
import { MAX_EVENT_BYTES } from '../../lib/domain/events.ts';

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const entry = (n: number, bytes = 100): PutEntry => ({
  Source: 'gpu-optimizer.agent',
  DetailType: 'GPU Utilization Batch',
  Detail: JSON.stringify({ n, pad: 'x'.repeat(Math.max(0, bytes - 20)) }),
});

/** PutEvents answers as the service does: an EventId per accepted entry, ErrorCode/ErrorMessage per failed one. */
function answer(entries: PutEventsRequestEntry[], fail: (detail: string) => string | undefined) {
  const results = entries.map((e, i) => {
    const code = fail(e.Detail!);
    return code
      ? { ErrorCode: code, ErrorMessage: `${code} for entry ${i}` }
      : { EventId: `11710aed-b79e-4468-a20b-bb3c0c3b${String(4860 + i).padStart(4, '0')}` };
  });
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}

const client = () =>
  sdkPutEvents(
    new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
  );
const noSleep = async () => {};
const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };
const sentDetails = () =>
  eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.Detail!));

describe('PutEvents limits', () => {
  it('measures an entry as EventBridge does: Time as 14 bytes, strings as UTF-8 bytes', () => {
    const e = { Source: 'src', DetailType: 'dt', Detail: '{"é":1}', Time: new Date(), Resources: ['arn:x'] };
    expect(entrySize(e)).toBe(14 + 3 + 2 + 8 + 5);
  });

  it('never puts more than 10 entries, or 256 KB, in one call, and keeps the order', () => {
    const small = Array.from({ length: 25 }, (_, i) => entry(i, 100));
    const calls = groupIntoCalls(small, entrySize);
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
    const big = Array.from({ length: 9 }, (_, i) => entry(i, 60_000));
    const bigCalls = groupIntoCalls(big, entrySize);
    for (const call of bigCalls) {
      expect(call.length).toBeLessThanOrEqual(MAX_ENTRIES_PER_CALL);
      expect(call.reduce((n, e) => n + entrySize(e), 0)).toBeLessThan(MAX_EVENT_BYTES);
    }
    expect(bigCalls.flat()).toEqual(big);
    expect(() => groupIntoCalls([entry(0, MAX_EVENT_BYTES)], entrySize)).toThrow(/over the 262144-byte/);
  });
});

describe('putEntries', () => {
  it('retries only the entries that failed, until they are accepted', async () => {
    let round = 0;
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      round++;
      return answer(input.Entries, (d) =>
        round === 1 && /"n":(1|3)[,}]/.test(d) ? 'ThrottlingException' : undefined,
      );
    });
    const entries = [0, 1, 2, 3].map((n) => entry(n));
    const outcome = await putEntries(entries, {
      client: client(),
      busName: 'bus',
      retry: fast,
      sleep: noSleep,
    });
    expect(outcome.accepted.sort()).toEqual([0, 1, 2, 3]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Entries!.map((e) => JSON.parse(e.Detail!).n)).toEqual([1, 3]);
    expect(calls[0]!.args[0].input.Entries!.every((e) => e.EventBusName === 'bus')).toBe(true);
  });

  it('sets aside entries refused for good and keeps retryable ones pending after the last attempt', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) =>
        answer(input.Entries, (d) =>
          d.includes('"n":0') ? 'MalformedDetail' : d.includes('"n":1') ? 'InternalFailure' : undefined,
        ),
      );
    const outcome = await putEntries([entry(0), entry(1), entry(2)], {
      client: client(),
      busName: 'b',
      retry: fast,
      sleep: noSleep,
    });
    expect(outcome.accepted).toEqual([2]);
    expect(outcome.rejected).toEqual([{ index: 0, error: 'MalformedDetail: MalformedDetail for entry 0' }]);
    expect(outcome.pending).toEqual([1]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(fast.maxAttempts);
  });

  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelayMs(3, DEFAULT_RETRY, () => 0.999)).toBe(Math.floor(0.999 * 1600));
    expect(backoffDelayMs(30, DEFAULT_RETRY, () => 0.5)).toBe(DEFAULT_RETRY.maxDelayMs / 2);
    expect(backoffDelayMs(2, DEFAULT_RETRY, () => 0)).toBe(0);
  });
});

describe('spool', () => {
  const spoolDir = () => mkdtempSync(join(tmpdir(), 'spool-'));

  it('loses and duplicates nothing through an outage: spools, then drains in order', async () => {
    const dir = spoolDir();
    const spool = await FileSpool.open(dir);
    const deps = { client: client(), busName: 'bus', retry: fast, sleep: noSleep };

    // EventBridge unreachable: every call fails at the network.
    eventBridge
      .on(PutEventsCommand)
      .rejects(
        Object.assign(new Error('getaddrinfo ENOTFOUND events.us-east-1.amazonaws.com'), { name: 'Error' }),
      );
    const written: string[] = [];
    for (let window = 0; window < 14; window++) {
      const e = entry(window);
      written.push(e.Detail);
      await spool.append([e]);
      const result = await drainSpool(spool, deps);
      expect(result.sent).toBe(0);
      expect(result.pending).toBe(window + 1);
      expect(result.error).toMatch(/ENOTFOUND/);
    }

    // The agent restarts during the outage; the spool comes back from disk.
    const reopened = await FileSpool.open(dir);
    expect(reopened.pending().map((r) => r.entry.Detail)).toEqual(written);

    // EventBridge is back, but throttles some entries once.
    eventBridge.reset();
    const throttledOnce = new Set<string>();
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) =>
      answer(input.Entries, (d) => {
        if (/"n":(2|11)[,}]/.test(d) && !throttledOnce.has(d)) {
          throttledOnce.add(d);
          return 'ThrottlingException';
        }
        return undefined;
      }),
    );
    const result = await drainSpool(reopened, deps);
    expect(result).toEqual({ sent: 14, rejected: 0, pending: 0 });

    // Every window reached EventBridge exactly once as accepted, calls went in spool order.
    const acceptedOnce = new Map<string, number>();
    for (const call of eventBridge.commandCalls(PutEventsCommand)) {
      const out = await call.returnValue;
      call.args[0].input.Entries!.forEach((e, i) => {
        if (out.Entries?.[i]?.EventId) acceptedOnce.set(e.Detail!, (acceptedOnce.get(e.Detail!) ?? 0) + 1);
      });
    }
    expect([...acceptedOnce.keys()].sort()).toEqual([...written].sort());
    expect([...acceptedOnce.values()].every((n) => n === 1)).toBe(true);
    // 14 entries plus the 2 throttled ones sent again.
    expect(sentDetails()).toHaveLength(16);
    const firstCalls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length);
    expect(firstCalls).toEqual([10, 1, 4, 1]);

    // Compaction leaves clean, empty files; a later agent starts with nothing pending.
    expect(readFileSync(join(dir, 'spool.jsonl'), 'utf8')).toBe('');
    expect(readFileSync(join(dir, 'acked.jsonl'), 'utf8')).toBe('');
    expect((await FileSpool.open(dir)).pending()).toEqual([]);
  });

  it('does not resend an entry acknowledged before a crash, and ignores a torn last line', async () => {
    const dir = spoolDir();
    const spool = await FileSpool.open(dir);
    const [a, b] = await spool.append([entry(1), entry(2)]);
    await spool.ack([a!.seq]);
    // A crash mid-write leaves half a line.
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(dir, 'spool.jsonl'), '{"seq":2,"entry":{"Sou');
    const after = await FileSpool.open(dir);
    expect(after.pending().map((r) => r.seq)).toEqual([b!.seq]);
    expect(after.tornLines).toBe(1);
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => answer(input.Entries, () => undefined));
    await drainSpool(after, { client: client(), busName: 'bus', retry: fast, sleep: noSleep });
    expect(sentDetails()).toEqual([entry(2).Detail]);
  });

  it('sets aside what EventBridge refuses for good, so one bad entry never blocks the spool', async () => {
    const dir = spoolDir();
    const spool = await FileSpool.open(dir);
    await spool.append([entry(1), entry(2), entry(3)]);
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) =>
        answer(input.Entries, (d) => (d.includes('"n":2') ? 'InvalidArgument' : undefined)),
      );
    const result = await drainSpool(spool, { client: client(), busName: 'bus', retry: fast, sleep: noSleep });
    expect(result).toMatchObject({ sent: 2, rejected: 1, pending: 0 });
    const rejected = readFileSync(join(dir, 'rejected.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected).toHaveLength(1);
    expect(rejected[0].error).toMatch(/^InvalidArgument/);
  });
});
