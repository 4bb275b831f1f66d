// Block Kit messages for the decision events: one builder per detail-type, pure and size-capped.
import type { DomainEvent, EventDetail } from '../../domain/events.ts';
import { formatUsdForDisplay, type MicroUsd } from '../../domain/money.ts';

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

/** What an incoming webhook takes: `text` is the notification and fallback, `blocks` the layout. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** Slack's limits: a section's text, a header's text, fields per section, blocks per message. */
export const SLACK_LIMITS = { sectionText: 3000, headerText: 150, fields: 10, blocks: 50 } as const;
/** Actions listed in a plan message; the rest are counted. */
export const MAX_LISTED_ACTIONS = 8;

/** Slack's mrkdwn treats &, < and > as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const md = (text: string): TextObject => ({ type: 'mrkdwn', text: cap(text, SLACK_LIMITS.sectionText) });
const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: cap(text, SLACK_LIMITS.headerText) },
});
const fields = (pairs: [string, string][]): Block => ({
  type: 'section',
  fields: pairs.slice(0, SLACK_LIMITS.fields).map(([k, v]) => md(`*${escapeMrkdwn(k)}*\n${v}`)),
});
const section = (text: string): Block => ({ type: 'section', text: md(text) });
const context = (text: string): Block => ({ type: 'context', elements: [md(text)] });

/** A time every reader sees in their own zone; the fallback is the RFC 3339 string. */
export function slackDate(rfc3339: string): string {
  const seconds = Math.floor(Date.parse(rfc3339) / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${rfc3339}>`;
}

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
  return {
    text: `Capacity plan ${d.planId} (${d.mode}): ${usd(d.totalCostUsd)} over the horizon, ${d.actions.length} actions`,
    blocks: [
      header(`Capacity plan (${d.mode})`),
      fields([
        ['Plan', code(d.planId)],
        ['Cost over horizon', usd(d.totalCostUsd)],
        ['Horizon', `${slackDate(d.horizonStart)} → ${slackDate(d.horizonEnd)}`],
        ['Actions', String(d.actions.length)],
      ]),
      ...(listed.length > 0 ? [section(listed.join('\n'))] : []),
      ...d.explanations.slice(0, 3).map((e) => context(`${code(e.poolId)} ${escapeMrkdwn(e.text)}`)),
    ],
  };
};

const idle: Builder<'Idle Node Marked'> = (d) => ({
  text: `Idle node ${d.nodeId} marked; released after ${d.graceDeadline} unless it gets work (${modeTag(d.mode)})`,
  blocks: [
    header(`Idle node marked: ${d.nodeId}`),
    fields([
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
  text: `Node ${d.nodeId} released (${d.method}, ${modeTag(d.mode)}): saves ${usd(d.savedUsdPerHour)}/h`,
  blocks: [
    header(`Node released: ${d.nodeId}`),
    fields([
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
    text: `Spot ${d.kind} for ${d.nodeId} in ${d.poolId}: ${d.replacements.length} replacement lines`,
    blocks: [
      header(`Spot ${d.kind}: ${d.nodeId}`),
      fields([
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
  text: `Demand ${d.direction} forecast for ${d.classId}: ${d.actualGpus} GPUs vs ${d.expectedGpus} expected`,
  blocks: [
    header(`Demand anomaly: ${d.classId}`),
    fields([
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
  text: `Budget alert for ${d.scope}: variance ${usd(d.varianceUsd)} (threshold ${d.thresholdPct}%)`,
  blocks: [
    header(`Budget alert: ${d.scope}`),
    fields([
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
  text: `Run ${d.run}${d.part ? ` (${d.part})` : ''} failed: ${d.error}`,
  blocks: [
    header(`Run failed: ${d.run}`),
    fields([
      ['Run', code(d.run)],
      ['Part', d.part ? code(d.part) : 'whole run'],
      ['At', slackDate(d.at)],
    ]),
    section(`\`\`\`${escapeMrkdwn(cap(d.error, SLACK_LIMITS.sectionText - 10))}\`\`\``),
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
  const message = build(event.detail as never);
  return {
    text: cap(message.text, SLACK_LIMITS.sectionText),
    blocks: message.blocks.slice(0, SLACK_LIMITS.blocks),
  };
}
