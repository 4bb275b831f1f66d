// Idempotency records: the calls Powertools' DynamoDB persistence layer really sends (on dynalite) are the ones the
// stack grants each idempotent function, on its own partition only; a run added to the catalogue is checked alike.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { addStacks } from '../../lib/infra/app.ts';
import { readConfigDocument } from '../../lib/infra/config.ts';
import { createTable } from '../../lib/store/table.ts';
import {
  FUNCTION_NAMES,
  IDEMPOTENCY_ACTIONS,
  idempotencyPartition,
  RUNS,
  type FunctionName,
  type IdempotencySpec,
  type RunEntry,
} from '../../lib/system/catalogue.ts';
import { idempotencyMiddleware } from '../../lib/system/idempotency.ts';
import { lambdaContext } from '../functions/support.ts';

const fixture = (path: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

/** A real event of each idempotent run's trigger, and the same event made different in a key field. */
const EVENTS: Partial<
  Record<FunctionName, [Record<string, unknown>, (e: Record<string, unknown>) => unknown]>
> = {
  interruption: [
    fixture('ec2-events/karpenter-design_spot-itn.json'),
    (e) => ({ ...e, time: '2022-08-11T14:05:00Z' }),
  ],
  notify: [
    {
      version: '0',
      id: '6f2c1a7e-3b0d-4e8a-9c51-2d7f0e9b4a13',
      source: 'gpu-optimizer.decisions',
      'detail-type': 'Run Failed',
      time: '2026-03-02T11:00:00Z',
      detail: { schemaVersion: '1', run: 'forecast', at: '2026-03-02T11:00:00Z', error: 'x' },
    },
    (e) => ({ ...e, id: randomUUID() }),
  ],
  importBill: [
    fixture('s3-events/eventbridge-object-created__data-export.json'),
    (e) => {
      const detail = e.detail as { object: Record<string, unknown> };
      return { ...e, detail: { ...detail, object: { ...detail.object, etag: 'f00dfeed' } } };
    },
  ],
};

const idempotent = FUNCTION_NAMES.filter((name) => (RUNS[name] as RunEntry).idempotency !== undefined);

/** The calls a client sends, as IAM names them, and the partition each names. */
function recordCalls(client: DynamoDBClient): { action: string; partition: unknown }[] {
  const calls: { action: string; partition: unknown }[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      const input = args.input as { Key?: { PK?: { S?: string } }; Item?: { PK?: { S?: string } } };
      calls.push({
        action: `dynamodb:${(context.commandName ?? '').replace(/Command$/, '')}`,
        partition: (input.Key ?? input.Item)?.PK?.S,
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return calls;
}

describe('idempotency records', () => {
  it('are kept for the runs whose redelivery would act twice', () => {
    expect(idempotent.sort()).toEqual(['importBill', 'interruption', 'notify']);
  });

  for (const name of idempotent)
    it(`${name}: a success, its redelivery and a failure send only the granted calls, on its own partition`, async () => {
      const client = new DynamoDBClient({
        endpoint: inject('dynamoEndpoint'),
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const tableName = `test-${randomUUID()}`;
      await createTable(client, tableName);
      const calls = recordCalls(client);
      const [event, changed] = EVENTS[name]!;
      let runs = 0;
      const handler = middy(async (e: Record<string, unknown>) => {
        runs++;
        if (e.fail) throw new Error('the run failed');
        return { run: runs };
      }).use(
        idempotencyMiddleware(
          name,
          (RUNS[name] as RunEntry).idempotency as IdempotencySpec,
          tableName,
          client,
        ),
      );
      const context = () => lambdaContext(`GpuOptimizer-${name}`, randomUUID());

      expect(await handler(event, context())).toEqual({ run: 1 });
      expect(await handler(structuredClone(event), context())).toEqual({ run: 1 });
      const failing = { ...(changed(event) as object), fail: true };
      await expect(handler(failing, context())).rejects.toThrow('the run failed');
      // The failure's record is removed: the retry runs.
      await expect(handler(failing, context())).rejects.toThrow('the run failed');
      expect(runs).toBe(3);

      const actions = new Set(calls.map((c) => c.action));
      expect([...actions].sort()).toEqual([...IDEMPOTENCY_ACTIONS].sort());
      expect(new Set(calls.map((c) => c.partition))).toEqual(new Set([idempotencyPartition(name)]));
    });
});

describe('the stack grants them', () => {
  let template: Template;
  beforeAll(() => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(addStacks(app, readConfigDocument('config/example.json')).central);
  }, 120_000);

  /** The IdempotencyRecords statement of a function's role, if any. */
  function idempotencyStatements(name: string) {
    const [roleId] = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: { Description: `gpu-optimizer ${name} function` },
      }),
    );
    expect(roleId, name).toBeDefined();
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId!))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as { Sid?: string; Action: string[]; Condition?: unknown }[],
      )
      .filter((s) => s.Sid === 'IdempotencyRecords');
  }

  it('to each idempotent function, on its own partition only, and to no other function', () => {
    for (const name of FUNCTION_NAMES) {
      const statements = idempotencyStatements(name);
      if (!idempotent.includes(name)) {
        expect(statements, name).toEqual([]);
        continue;
      }
      expect(statements, name).toHaveLength(1);
      expect([...statements[0]!.Action].sort()).toEqual([...IDEMPOTENCY_ACTIONS].sort());
      expect(statements[0]!.Condition).toEqual({
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [idempotencyPartition(name)] },
      });
    }
  });
});
