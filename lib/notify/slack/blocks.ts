// Block Kit messages for the decision events and the daily digest: one builder per kind, pure, escaped and size-capped.
import type { DomainEvent, EventDetail } from '../../domain/events.ts';
import { formatUsdForDisplay, type MicroUsd } from '../../domain/money.ts';
import type { Block, SlackMessage, TextObject } from '../../domain/notify.ts';

/**
 * Slack's Block Kit limits (api.slack.com/reference/block-kit): a section's text 3000 characters, each of its
 * fields 2000 and at most 10 of them, a header's text 150, a context 10 elements, a message 50 blocks. The
 * fallback text is kept to a section's length: it is what a phone notification shows.
 */
export const SLACK_LIMITS = {
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  blocks: 50,
  fallbackText: 3000,
} as const;
/** Actions listed in a plan message; the rest are counted. */
export const MAX_LISTED_ACTIONS = 8;

/** Broadcast words Slack may turn into a notification for everyone even without the `<!…>` form. */
const BROADCASTS = /@(channel|here|everyone)\b/gi;

/**
 * Text from events made inert for mrkdwn: `&`, `<` and `>` are Slack's control characters (so `<!channel>`,
 * `<@U123>` and links cannot be injected), and a bare @channel/@here/@everyone gets a zero-width joiner.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(BROADCASTS, '@\u2060$1');
}

/**
 * Cuts escaped mrkdwn to at most `max` characters, ending in an ellipsis: never inside an entity (`&amp;`), a
 * `<…>` token of our own (dates) or a surrogate pair, so what is left still renders.
 */
export function fitText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const head = text.slice(0, cut);
  const amp = head.lastIndexOf('&');
  if (amp >= 0 && !head.slice(amp).includes(';') && amp > head.length - 8) cut = amp;
  const open = text.lastIndexOf('<', cut - 1);
  if (open >= 0 && text.lastIndexOf('>', cut - 1) < open) cut = open;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

const md = (text: string, max: number = SLACK_LIMITS.sectionText): TextObject => ({
  type: 'mrkdwn',
  text: fitText(text, max),
});
const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: fitText(escapeMrkdwn(text), SLACK_LIMITS.headerText) },
});
/** Pairs of (label, mrkdwn value) as fields, ten to a section. */
const fields = (pairs: [string, string][]): Block[] => {
  const blocks: Block[] = [];
  for (let i = 0; i < pairs.length; i += SLACK_LIMITS.fields)
    blocks.push({
      type: 'section',
      fields: pairs
        .slice(i, i + SLACK_LIMITS.fields)
        .map(([k, v]) => md(`*${escapeMrkdwn(k)}*\n${v}`, SLACK_LIMITS.fieldText)),
    });
  return blocks;
};
const section = (text: string): Block => ({ type: 'section', text: md(text) });
const context = (text: string): Block => ({
  type: 'context',
  elements: [md(text, SLACK_LIMITS.contextText)],
});

/** A time every reader sees in their own zone; the fallback is the RFC 3339 string. */
export function slackDate(rfc3339: string): string {
  const seconds = Math.floor(Date.parse(rfc3339) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${escapeMrkdwn(rfc3339)}>`;
}

/** Fallback text: the same escaping as the blocks (Slack parses it too), no layout. */
const fallback = (parts: TemplateStringsArray, ...values: (string | number)[]) =>
  parts.reduce((out, part, i) => out + part + (i < values.length ? escapeMrkdwn(String(values[i])) : ''), '');

const usd = (v: MicroUsd) => formatUsdForDisplay(v);
const code = (s: string) => `\`${escapeMrkdwn(s)}\``;
const modeTag = (mode: string) => (mode === 'enforce' ? 'enforced' : 'recommended');

type Builder<T extends DomainEvent['detailType']> = (detail: EventDetail<T>) => SlackMessage;

const plan: Builder<'Capacity Plan Created'> = (d) => {
  const listed = d.actions.slice(0, MAX_LISTED_ACTIONS).map((a) => {
    const saving =
      a.expectedSavingUsdPerHour !== undefined ? ` (saves ${usd(a.expectedSavingUsdPerHour)}/h)` : '';
    const what = `${a.kind}${a.count !== undefined ? ` ${a.count}` : ''}${a.option ? ` ${a.option}` : ''}`;
    return `• *${escapeMrkdwn(what)}* in ${code(a.poolId)}: ${escapeMrkdwn(a.reason)}${saving} — _${a.status}_`;
  });
  if (d.actions.length > MAX_LISTED_ACTIONS)
    listed.push(`…and ${d.actions.length - MAX_LISTED_ACTIONS} more`);
  // Each line is cut to its share of the section, so a long reason costs its own line, not the others.
  const perLine = Math.floor(SLACK_LIMITS.sectionText / Math.max(1, listed.length)) - 1;
  return {
    text: fallback`Capacity plan ${d.planId} (${d.mode}): ${usd(d.totalCostUsd)} over the horizon, ${d.actions.length} actions`,
    blocks: [
      header(`Capacity plan (${d.mode})`),
      ...fields([
        ['Plan', code(d.planId)],
        ['Cost over horizon', usd(d.totalCostUsd)],
        ['Horizon', `${slackDate(d.horizonStart)} → ${slackDate(d.horizonEnd)}`],
        ['Actions', String(d.actions.length)],
      ]),
      ...(listed.length > 0 ? [section(listed.map((l) => fitText(l, perLine)).join('\n'))] : []),
      ...d.explanations.slice(0, 3).map((e) => context(`${code(e.poolId)} ${escapeMrkdwn(e.text)}`)),
    ],
  };
};

const idle: Builder<'Idle Node Marked'> = (d) => ({
  text: fallback`Idle node ${d.nodeId} marked; released after ${d.graceDeadline} unless it gets work (${modeTag(d.mode)})`,
  blocks: [
    header(`Idle node marked: ${d.nodeId}`),
    ...fields([
      ['Node', code(d.nodeId)],
      ['Pool', code(d.poolId)],
      ['Team', escapeMrkdwn(d.team ?? 'unknown')],
      ['Idle since', slackDate(d.idleSince)],
      ['Grace deadline', slackDate(d.graceDeadline)],
      ['Costs', `${usd(d.hourlyCostUsd)}/h`],
    ]),
    section(`*Why:* ${escapeMrkdwn(d.reason)}`),
    context(
      d.mode === 'enforce'
        ? 'Run a job on it before the deadline to keep it; otherwise it is released.'
        : 'Recommend mode: nothing will be released; this is what enforce would do.',
    ),
  ],
});

const released: Builder<'Node Released'> = (d) => ({
  text: fallback`Node ${d.nodeId} released (${d.method}, ${modeTag(d.mode)}): saves ${usd(d.savedUsdPerHour)}/h`,
  blocks: [
    header(`Node released: ${d.nodeId}`),
    ...fields([
      ['Node', code(d.nodeId)],
      ['Pool', code(d.poolId)],
      ['Team', escapeMrkdwn(d.team ?? 'unknown')],
      ['Method', escapeMrkdwn(d.method)],
      ['At', slackDate(d.releasedAt)],
      ['Saves', `${usd(d.savedUsdPerHour)}/h`],
    ]),
    section(`*Why:* ${escapeMrkdwn(d.reason)}`),
    context(`Mode: ${d.mode}`),
  ],
});

const interruption: Builder<'Spot Interruption Handled'> = (d) => {
  const replacements = d.replacements.map(
    (r) => `• ${r.count} × ${escapeMrkdwn(r.option)} in ${code(r.poolId)}`,
  );
  return {
    text: fallback`Spot ${d.kind} for ${d.nodeId} in ${d.poolId}: ${d.replacements.length} replacement lines`,
    blocks: [
      header(`Spot ${d.kind}: ${d.nodeId}`),
      ...fields([
        ['Node', code(d.nodeId)],
        ['Pool', code(d.poolId)],
        ['Notice', slackDate(d.noticeAt)],
        ['Handled', slackDate(d.handledAt)],
      ]),
      section(
        replacements.length > 0 ? `*Replacements*\n${replacements.join('\n')}` : 'No replacement needed.',
      ),
    ],
  };
};

const anomaly: Builder<'Demand Anomaly'> = (d) => ({
  text: fallback`Demand ${d.direction} forecast for ${d.classId}: ${d.actualGpus} GPUs vs ${d.expectedGpus} expected`,
  blocks: [
    header(`Demand anomaly: ${d.classId}`),
    ...fields([
      ['Class', code(d.classId)],
      ['Direction', d.direction === 'above' ? 'above forecast' : 'below forecast'],
      ['Actual', `${d.actualGpus} GPUs`],
      ['Expected (p50)', `${d.expectedGpus} GPUs`],
      ['p99', `${d.p99Gpus} GPUs`],
      ['Window', `${d.windowHours} h to ${slackDate(d.at)}`],
    ]),
    context(`Model: ${escapeMrkdwn(d.model)}`),
  ],
});

const budget: Builder<'Budget Alert'> = (d) => ({
  text: fallback`Budget alert for ${d.scope}: variance ${usd(d.varianceUsd)} (threshold ${d.thresholdPct}%)`,
  blocks: [
    header(`Budget alert: ${d.scope}`),
    ...fields([
      ['Attributed', usd(d.attributedUsd)],
      ['Billed', usd(d.billedUsd)],
      ['Variance', usd(d.varianceUsd)],
      ['Threshold', `${d.thresholdPct}%`],
      ['Period', `${slackDate(d.periodStart)} → ${slackDate(d.periodEnd)}`],
    ]),
    section(escapeMrkdwn(d.explanation)),
  ],
});

const failed: Builder<'Run Failed'> = (d) => ({
  text: fallback`Run ${d.run}${d.part ? ` (${d.part})` : ''} failed: ${d.error}`,
  blocks: [
    header(`Run failed: ${d.run}`),
    ...fields([
      ['Run', code(d.run)],
      ['Part', d.part ? code(d.part) : 'whole run'],
      ['At', slackDate(d.at)],
    ]),
    // The closing fence survives a long error: the error is cut, not the block.
    section(`\`\`\`${fitText(escapeMrkdwn(d.error), SLACK_LIMITS.sectionText - 6)}\`\`\``),
  ],
});

const BUILDERS: { [T in DomainEvent['detailType']]?: Builder<T> } = {
  'Capacity Plan Created': plan,
  'Idle Node Marked': idle,
  'Node Released': released,
  'Spot Interruption Handled': interruption,
  'Demand Anomaly': anomaly,
  'Budget Alert': budget,
  'Run Failed': failed,
};

/** The message for a decision event, or undefined for events Slack does not hear about. */
export function slackMessage(event: DomainEvent): SlackMessage | undefined {
  const build = BUILDERS[event.detailType] as Builder<typeof event.detailType> | undefined;
  if (!build) return undefined;
  return withinLimits(build(event.detail as never));
}

/** The last guard: fallback text cut, and blocks past the fiftieth replaced by a line that says so. */
export function withinLimits(message: SlackMessage): SlackMessage {
  const blocks =
    message.blocks.length <= SLACK_LIMITS.blocks
      ? message.blocks
      : [
          ...message.blocks.slice(0, SLACK_LIMITS.blocks - 1),
          context(`…${message.blocks.length - SLACK_LIMITS.blocks + 1} more blocks not shown`),
        ];
  return { text: fitText(message.text, SLACK_LIMITS.fallbackText), blocks };
}

/** What the daily digest tells: the quiet events of one UTC day, grouped by what they said. */
export interface DigestEntry {
  detailType: string;
  /** One line, plain text (escaped here). */
  line: string;
  count: number;
  lastAt: string;
}

/** Lines listed in the digest; the rest are counted. */
export const MAX_DIGEST_LINES = 20;

export function digestMessage(day: string, entries: readonly DigestEntry[]): SlackMessage {
  const total = entries.reduce((a, e) => a + e.count, 0);
  const byType = new Map<string, number>();
  for (const e of entries) byType.set(e.detailType, (byType.get(e.detailType) ?? 0) + e.count);
  const sorted = [...entries].sort((a, b) => b.count - a.count || a.line.localeCompare(b.line));
  const listed = sorted
    .slice(0, MAX_DIGEST_LINES)
    .map((e) => `• ${escapeMrkdwn(e.line)} — ${e.count}×, last ${slackDate(e.lastAt)}`);
  if (sorted.length > MAX_DIGEST_LINES) listed.push(`…and ${sorted.length - MAX_DIGEST_LINES} more`);
  const perLine = Math.floor(SLACK_LIMITS.sectionText / Math.max(1, listed.length)) - 1;
  return withinLimits({
    text: fallback`Daily digest for ${day} (UTC): ${total} quiet events, nothing new that needs you`,
    blocks: [
      header(`Daily digest: ${day} (UTC)`),
      ...fields([...byType].map(([type, count]) => [type, String(count)])),
      ...(listed.length > 0 ? [section(listed.map((l) => fitText(l, perLine)).join('\n'))] : []),
      context(
        'Nothing here needed a person: repeats of actions already posted and plans without new actions.',
      ),
    ],
  });
}
