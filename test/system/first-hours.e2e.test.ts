// A fresh deployment's first hours, from config/example.json alone on an empty table: prices, a recommended plan, Slack and the report e-mail, with no manual step.
import { randomUUID } from 'node:crypto';
import {
  CreateFleetCommand,
  DescribeInstancesCommand,
  EC2Client,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PricingClient } from '@aws-sdk/client-pricing';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEventBridgeSink } from '../../lib/adapters/eventbridge-sink.ts';
import type { UtilizationBatch } from '../../lib/domain/usage.ts';
import { WINDOW_MS, toRfc3339 } from '../../lib/domain/time.ts';
import { memoryLogger } from '../../lib/ingest/logger.ts';
import { manualClock } from '../../lib/memory/clock.ts';
import { createSesMailer } from '../../lib/notify/email.ts';
import { createSlackWebhook } from '../../lib/notify/slack/webhook.ts';
import { runForecast } from '../../lib/runs/forecast.ts';
import { ingest } from '../../lib/runs/ingest.ts';
import { runNotify, type BusEvent } from '../../lib/runs/notify.ts';
import { runOptimize } from '../../lib/runs/optimize.ts';
import { refreshPrices } from '../../lib/runs/refresh-prices.ts';
import { runReport } from '../../lib/runs/report.ts';
import { syncConfig } from '../../lib/runs/sync-config.ts';
import { assemble } from '../../lib/system/assembly.ts';
import { RUNS } from '../../lib/system/catalogue.ts';
import { readDeployConfigFile } from '../../lib/system/config.ts';
import { agentBatch, batchEvent, record } from '../ingest/fixtures.ts';
import { startFakeSlack, type FakeSlack } from '../notify/slack-server.ts';
import { answerAwsPrices } from '../pricing/aws-responses.ts';
import { freshDynamoStore } from '../support/dynamo.ts';

const HOUR = 3_600_000;
/** Deployed on a Monday at 05:00 UTC; the example's report runs Mondays 08:00 Europe/Paris (07:00 UTC). */
const DEPLOYED_AT = Date.parse('2026-12-07T05:00:00Z');

const pricingMock = mockClient(PricingClient);
const ec2Mock = mockClient(EC2Client);
const eventBridgeMock = mockClient(EventBridgeClient);

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

/** One node per configured pool runs the agent, labelled with the team whose class that pool serves. */
function batchOf(
  nodeId: string,
  poolId: string,
  team: string,
  windowStartMs: number,
  busy: boolean,
): UtilizationBatch {
  const [, region, zone, instanceType] = poolId.split(':');
  const batch = agentBatch(nodeId, toRfc3339(windowStartMs), { busy, bootId: `boot-${nodeId}` });
  return {
    ...batch,
    node: {
      ...batch.node,
      region: region!,
      zone: zone!,
      instanceType: instanceType!,
      poolId,
      labels: { team },
    },
  };
}

describe('a fresh deployment’s first three hours', () => {
  let slack: FakeSlack;
  const bus: PutEventsRequestEntry[] = [];
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack.close();
    pricingMock.restore();
    ec2Mock.restore();
    eventBridgeMock.restore();
  });

  it('prices the pools, plans in recommend mode, tells Slack and mails the report, from the example config alone', async () => {
    const config = readDeployConfigFile('config/example.json');
    expect(config.mode).toBe('recommend');
    const { store } = await freshDynamoStore();
    expect(await store.prices.all()).toEqual([]);
    expect(await store.classes.list()).toEqual([]);

    const clock = manualClock(DEPLOYED_AT);
    answerAwsPrices(pricingMock, ec2Mock, () => clock.now());
    // A fresh account: no managed instance runs yet.
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    eventBridgeMock.on(PutEventsCommand).callsFake((input: { Entries?: PutEventsRequestEntry[] }) => {
      bus.push(...(input.Entries ?? []));
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map(() => ({ EventId: randomUUID() })) };
    });
    const events = createEventBridgeSink({
      client: new EventBridgeClient({ region: config.region }),
      eventBusName: 'gpu-optimizer',
    });
    const system = assemble({
      engine: 'aws',
      config,
      store,
      events,
      clock,
      readSecret: async (name) => Promise.reject(new Error(`no secret ${name} in this test`)),
      // The example's Prometheus is not reachable here: its connector fails its own part, never the run.
      fetch: async () => Promise.reject(new Error('no Prometheus in this test')),
    });
    const log = () => {};

    // Deploy: the config's pools and classes into the table, then the first price refresh.
    const synced = await syncConfig({ store }, config);
    expect(synced.warnings).toEqual([]);
    const refreshed = await refreshPrices(
      {
        store,
        pricing: new PricingClient({ region: 'us-east-1' }),
        ec2: new EC2Client({ region: config.region }),
        events,
        clock,
      },
      { region: config.region },
    );
    expect(refreshed.failures).toEqual([]);
    expect(refreshed.unpriced).toEqual([]);

    // Three hours on the schedules of the catalogue: agents every 5 minutes, forecast hourly, optimize every 15.
    const nodes = config.classes.map((workload, i) => {
      const pool = config.pools.find(
        (p) =>
          p.gpuMemoryGiB >= workload.minGpuMemoryGiB &&
          (workload.allowedGpuModels.length === 0 || workload.allowedGpuModels.includes(p.gpuModel)),
      )!;
      return { nodeId: `i-0fresh${i}`, poolId: pool.id, team: workload.team };
    });
    const ingestFailures: string[] = [];
    const plans: string[] = [];
    for (let t = DEPLOYED_AT; t < DEPLOYED_AT + 3 * HOUR; t += WINDOW_MS) {
      clock.set(t + WINDOW_MS + 5_000);
      const records = nodes.map((n, i) =>
        record(batchEvent(batchOf(n.nodeId, n.poolId, n.team, t, (t / WINDOW_MS + i) % 3 !== 0))),
      );
      const ingested = await ingest(records, { store, clock, logger: memoryLogger() });
      ingestFailures.push(...ingested.failures.map((f) => f.reason));
      const sinceDeploy = clock.now() - DEPLOYED_AT;
      if (Math.floor(sinceDeploy / HOUR) !== Math.floor((sinceDeploy - WINDOW_MS) / HOUR))
        await runForecast({ store, events, clock, log }, RUNS.forecast.options(config));
      if (Math.floor(sinceDeploy / (15 * 60_000)) !== Math.floor((sinceDeploy - WINDOW_MS) / (15 * 60_000))) {
        const planned = await runOptimize(
          {
            store,
            prices: await system.prices(),
            providers: await system.providers(),
            events,
            clock,
            log,
          },
          RUNS.optimize.options(config),
        );
        expect(planned.error).toBeUndefined();
        plans.push(planned.planId!);
      }
    }
    expect(ingestFailures).toEqual([]);
    expect(plans.length).toBeGreaterThanOrEqual(11);

    // Every decision on the bus goes to the notify run, as the bus rule would hand it over.
    const webhook = createSlackWebhook({ url: slack.url, now: () => clock.now(), sleep: async () => {} });
    const notified = [];
    for (const entry of bus.filter((e) => e.Source === 'gpu-optimizer.decisions')) {
      const event: BusEvent = {
        source: entry.Source!,
        'detail-type': entry.DetailType!,
        detail: JSON.parse(entry.Detail!) as unknown,
      };
      notified.push(await runNotify({ slack: webhook, log, now: () => clock.now() }, event));
    }

    // The weekly report at its hour, to aws-ses-v2-local.
    const recipient = `platform-${randomUUID()}@example.com`;
    const ses = new SESv2Client({
      endpoint: inject('sesEndpoint'),
      region: config.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const reportOptions = RUNS.report.options(config);
    const sent = await runReport(
      { store, clock, mailer: createSesMailer(ses) },
      { ...reportOptions, recipients: [recipient] },
    );
    ses.destroy();

    // Prices: every configured pool, from the live APIs, as of the refresh.
    const quotes = await store.prices.all();
    for (const pool of config.pools) {
      expect(quotes.find((q) => q.poolId === pool.id && q.option === 'on-demand')?.source).toBe(
        'aws-pricing-api',
      );
      expect(quotes.find((q) => q.poolId === pool.id && q.option === 'spot')?.source).toBe(
        'aws-spot-history',
      );
    }
    // A plan in recommend mode over the configured pools, that touched no instance.
    const stored = await store.plans.between(DEPLOYED_AT, clock.now() + 1);
    expect(stored.map((p) => p.planId)).toEqual(plans);
    const last = stored.at(-1)!;
    expect(last.mode).toBe('recommend');
    expect(
      stored.flatMap((p) => p.actions).every((a) => a.mode === 'recommend' && a.status === 'recommended'),
    ).toBe(true);
    // Once the first forecast is in (at the first hour), the busy agent nodes are planned for, not released.
    const afterFirstForecast = stored.filter((p) => Date.parse(p.createdAt) > DEPLOYED_AT + HOUR + WINDOW_MS);
    expect(afterFirstForecast.length).toBeGreaterThanOrEqual(6);
    expect(afterFirstForecast.flatMap((p) => p.actions).filter((a) => a.kind === 'release')).toEqual([]);
    expect(ec2Mock.commandCalls(CreateFleetCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    // Slack heard the plan.
    expect(notified.some((n) => n.status === 'delivered' && n.detailType === 'Capacity Plan Created')).toBe(
      true,
    );
    expect(slack.posts.some((p) => JSON.stringify(p.body).includes('apacity plan'))).toBe(true);
    // The report e-mail went out.
    const response = await fetch(`${inject('sesEndpoint')}/store`);
    const { emails } = (await response.json()) as { emails: StoredEmail[] };
    const mail = emails.find((e) => e.destination.to.includes(recipient));
    expect(mail?.messageId).toBe(sent.messageId);
    expect(mail?.from).toBe(config.report.from);
    expect(mail?.subject).toMatch(/^GPU savings report, week of 2026-11-30/);
  }, 240_000);
});
