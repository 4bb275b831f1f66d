// Every Slack message type against Block Kit's documented limits, with ordinary and oversize inputs, and escaped everywhere.
import { describe, expect, it } from 'vitest';
import { makeEvent, type DomainEvent } from '../../lib/domain/events.ts';
import {
  digestMessage,
  escapeMrkdwn,
  fitText,
  slackMessage,
  type DigestEntry,
} from '../../lib/notify/slack/blocks.ts';
import type { SlackMessage } from '../../lib/domain/notify.ts';
import { blockTexts } from './block-texts.ts';
import { DECISION_EVENTS } from './decision-events.ts';

// Slack's numbers as its reference states them (api.slack.com/reference/block-kit), written here on purpose:
// the test checks the code's limits, it does not borrow them.
const LIMITS = {
  section: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  context: 10,
  blocks: 50,
  fallback: 3000,
};

/** Every way a message breaks Block Kit, as readable strings; empty when it fits. */
function violations(message: SlackMessage): string[] {
  const out: string[] = [];
  if (message.text.length === 0) out.push('empty fallback text');
  if (message.text.length > LIMITS.fallback) out.push(`fallback ${message.text.length}`);
  if (message.blocks.length > LIMITS.blocks) out.push(`${message.blocks.length} blocks`);
  for (const [i, b] of message.blocks.entries()) {
    if (b.type === 'header' && b.text.text.length > LIMITS.header)
      out.push(`header ${i}: ${b.text.text.length}`);
    if (b.type === 'header' && b.text.type !== 'plain_text') out.push(`header ${i} not plain_text`);
    if (b.type === 'section') {
      if (!b.text && !b.fields?.length) out.push(`section ${i} empty`);
      if (b.text && b.text.text.length > LIMITS.section) out.push(`section ${i}: ${b.text.text.length}`);
      if ((b.fields?.length ?? 0) > LIMITS.fields) out.push(`section ${i}: ${b.fields!.length} fields`);
      for (const f of b.fields ?? [])
        if (f.text.length > LIMITS.field) out.push(`section ${i} field: ${f.text.length}`);
    }
    if (b.type === 'context') {
      if (b.elements.length > LIMITS.context) out.push(`context ${i}: ${b.elements.length} elements`);
      for (const e of b.elements)
        if (e.text.length > LIMITS.section) out.push(`context ${i}: ${e.text.length}`);
    }
  }
  return out;
}

/** Text a reader could be pinged or misled by: broadcasts, user mentions, links, stray entities. */
function unsafe(text: string): string[] {
  const found: string[] = [];
  if (/<!(channel|here|everyone)/.test(text)) found.push('<!channel>');
  if (/<@U/.test(text)) found.push('<@U…>');
  if (/<https?:/.test(text)) found.push('<link>');
  if (/&(?!amp;|lt;|gt;)/.test(text)) found.push('raw &');
  if (/@(channel|here|everyone)\b/.test(text)) found.push('@channel');
  // an entity cut in half by truncation
  if (/&(a|am|amp|l|lt|g|gt)?…/.test(text)) found.push('cut entity');
  return found;
}

const HOSTILE = '<!channel> ping <@U0123> & <https://evil.example|click> @here';
const long = (n: number) => `${HOSTILE} `.repeat(Math.ceil(n / (HOSTILE.length + 1))).slice(0, n);
const id = (prefix: string) => `${prefix}-${HOSTILE}-${'x'.repeat(256)}`.slice(0, 256);

const [plan, idle, released, interruption, anomaly, budget, failed] = DECISION_EVENTS as [
  Extract<DomainEvent, { detailType: 'Capacity Plan Created' }>,
  Extract<DomainEvent, { detailType: 'Idle Node Marked' }>,
  Extract<DomainEvent, { detailType: 'Node Released' }>,
  Extract<DomainEvent, { detailType: 'Spot Interruption Handled' }>,
  Extract<DomainEvent, { detailType: 'Demand Anomaly' }>,
  Extract<DomainEvent, { detailType: 'Budget Alert' }>,
  Extract<DomainEvent, { detailType: 'Run Failed' }>,
];

/** Each type with every free-text field at its longest and hostile: ids at the schema's 256, texts at 20 000. */
const OVERSIZE: DomainEvent[] = [
  makeEvent('Capacity Plan Created', {
    ...plan.detail,
    planId: id('plan'),
    explanations: Array.from({ length: 60 }, (_, i) => ({
      poolId: id(`pool${i}`),
      text: long(20_000),
      costUsd: 1n,
      nextBestCostUsd: null,
    })),
    actions: Array.from({ length: 120 }, (_, i) => ({
      ...plan.detail.actions[0]!,
      actionId: `a${i}`,
      poolId: id(`pool${i}`),
      nodeIds: [id(`node${i}`)],
      reason: long(20_000),
    })),
  }),
  makeEvent('Idle Node Marked', {
    ...idle.detail,
    nodeId: id('i'),
    poolId: id('pool'),
    team: id('team'),
    reason: long(20_000),
  }),
  makeEvent('Node Released', {
    ...released.detail,
    nodeId: id('i'),
    poolId: id('pool'),
    team: id('team'),
    reason: long(20_000),
  }),
  makeEvent('Spot Interruption Handled', {
    ...interruption.detail,
    nodeId: id('i'),
    poolId: id('pool'),
    replacements: Array.from({ length: 200 }, (_, i) => ({
      poolId: id(`pool${i}`),
      option: 'on-demand' as const,
      count: i,
    })),
  }),
  makeEvent('Demand Anomaly', { ...anomaly.detail, classId: id('class'), model: id('model') }),
  makeEvent('Budget Alert', { ...budget.detail, scope: id('team'), explanation: long(20_000) }),
  makeEvent('Run Failed', { ...failed.detail, run: id('run'), part: id('part'), error: long(20_000) }),
];

const ALL_TYPES = DECISION_EVENTS.map((e) => e.detailType);

describe('Block Kit limits for every message type', () => {
  it('covers every decision type Slack hears about', () => {
    expect(new Set(OVERSIZE.map((e) => e.detailType))).toEqual(new Set(ALL_TYPES));
    expect(ALL_TYPES).toHaveLength(7);
  });

  for (const event of DECISION_EVENTS)
    it(`${event.detailType}: an ordinary message fits and is not cut`, () => {
      const message = slackMessage(event)!;
      expect(violations(message)).toEqual([]);
      for (const text of [message.text, ...blockTexts(message.blocks)]) expect(text).not.toContain('…');
    });

  for (const event of OVERSIZE)
    it(`${event.detailType}: oversize input is cut to the limits with an ellipsis, still escaped`, () => {
      const message = slackMessage(event)!;
      expect(violations(message)).toEqual([]);
      const all = [message.text, ...blockTexts(message.blocks)];
      expect(all.some((t) => t.endsWith('…') || t.includes('…\n') || t.endsWith('…```'))).toBe(true);
      for (const text of all) expect(unsafe(text)).toEqual([]);
      expect(message.blocks[0]!.type).toBe('header');
    });

  it('the daily digest fits, ordinary and with hundreds of distinct lines', () => {
    const entries = (n: number, line: (i: number) => string): DigestEntry[] =>
      Array.from({ length: n }, (_, i) => ({
        detailType: 'Capacity Plan Created',
        line: line(i),
        count: 96 - (i % 7),
        lastAt: '2026-03-02T23:45:00Z',
      }));
    const ordinary = digestMessage(
      '2026-03-02',
      entries(2, (i) => `Capacity plan (recommend): ${i} actions already posted`),
    );
    expect(violations(ordinary)).toEqual([]);
    expect(ordinary.text).toContain('2026-03-02');
    const huge = digestMessage(
      '2026-03-02',
      entries(400, (i) => `${i} ${long(5_000)}`),
    );
    expect(violations(huge)).toEqual([]);
    for (const text of [huge.text, ...blockTexts(huge.blocks)]) expect(unsafe(text)).toEqual([]);
    expect(blockTexts(huge.blocks).join('\n')).toContain('…and 380 more');
  });
});

describe('escaping', () => {
  it('neutralises broadcasts, mentions and links in blocks and in the fallback text of every type', () => {
    const hostile: DomainEvent[] = [
      makeEvent('Capacity Plan Created', {
        ...plan.detail,
        planId: HOSTILE,
        actions: [{ ...plan.detail.actions[0]!, poolId: HOSTILE, reason: HOSTILE }],
      }),
      makeEvent('Idle Node Marked', { ...idle.detail, nodeId: HOSTILE, team: HOSTILE, reason: HOSTILE }),
      makeEvent('Node Released', { ...released.detail, nodeId: HOSTILE, reason: HOSTILE }),
      makeEvent('Spot Interruption Handled', { ...interruption.detail, nodeId: HOSTILE, poolId: HOSTILE }),
      makeEvent('Demand Anomaly', { ...anomaly.detail, classId: HOSTILE, model: HOSTILE }),
      makeEvent('Budget Alert', { ...budget.detail, scope: HOSTILE, explanation: HOSTILE }),
      makeEvent('Run Failed', { ...failed.detail, run: HOSTILE, part: HOSTILE, error: HOSTILE }),
    ];
    for (const event of hostile) {
      const message = slackMessage(event)!;
      // the node id of issue's report: fallback text carried it raw
      expect(unsafe(message.text), `${event.detailType} fallback`).toEqual([]);
      expect(message.text).toContain('&lt;!channel&gt;');
      for (const text of blockTexts(message.blocks)) expect(unsafe(text), event.detailType).toEqual([]);
    }
  });

  it('cuts after escaping, never inside an entity, a date token or a surrogate pair', () => {
    expect(escapeMrkdwn('a & b <c> @channel')).toBe('a &amp; b &lt;c&gt; @\u2060channel');
    const escaped = escapeMrkdwn('x'.repeat(8) + '&&&&');
    for (let max = 5; max < escaped.length; max++) {
      const cut = fitText(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.endsWith('…')).toBe(true);
      expect(unsafe(cut)).toEqual([]);
    }
    const dated = `seen ${'y'.repeat(20)} <!date^1772445600^{date_short_pretty} {time}|2026-03-02T10:00:00Z> end`;
    for (let max = 26; max < 70; max++) expect(fitText(dated, max)).not.toMatch(/<!date[^>]*…/);
    expect(fitText('ab😀cd', 4)).toBe('ab…');
  });
});
