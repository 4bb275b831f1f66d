// The ports: what the use cases need from the world. Adapters implement them; lib/memory has in-memory ones.
import type { AttributionRow } from './attribution.ts';
import type { BillRow } from './bill.ts';
import type { Calibration } from './calibration.ts';
import type { DemandHour } from './demand.ts';
import { MAX_EVENT_BYTES, tryToWire, type DomainEvent, type WireEvent } from './events.ts';
import type { FleetNode, NodeMark, NodeVersion, PendingNodeFact, ReleaseMethod } from './fleet.ts';
import type { Forecast } from './forecast.ts';
import type { Labels } from './labels.ts';
import type { LedgerEntry } from './ledger.ts';
import type { EmailMessage, OutboxMessage, QuietEvent, SlackMessage } from './notify.ts';
import type { Action, Mode, Plan } from './plan.ts';
import type { Pool, Provider, PurchaseOption } from './pool.ts';
import type { PriceQuote } from './price.ts';
import type { Refusal } from './refusal.ts';
import type { UtilizationBatch, WindowRollup } from './usage.ts';
import type { WorkloadClass } from './workload.ts';

/** Epoch milliseconds, UTC. Runs take a clock so tests and `simulate` can move time. */
export interface Clock {
  now(): number;
}

export interface PutEventsOutcome {
  /** Entries that were not accepted, by index into the request, with the reason. */
  failed: { index: number; error: string }[];
}

export interface EventSink {
  put(events: readonly DomainEvent[]): Promise<PutEventsOutcome>;
}

/**
 * EventBridge PutEvents limits, written once: at most this many entries a call, and each entry as well as the
 * whole request under MAX_EVENT_BYTES (lib/domain/events.ts).
 */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** The fields of a PutEvents request entry that count towards its size. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time?: Date;
  Resources?: readonly string[];
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * An entry's size as EventBridge counts it: Time is 14 bytes; Source, DetailType, Detail and each Resource
 * their UTF-8 bytes ("Calculating PutEvents event entry size", EventBridge User Guide).
 */
export function putEventsEntryBytes(entry: PutEventsEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + utf8Bytes(r), 0)
  );
}

/** The PutEvents request entry of an event in its wire form (the bus name aside). */
export function wireEventEntry(wire: WireEvent): Omit<PutEventsEntry, 'Resources'> {
  return {
    Source: wire.source,
    DetailType: wire.detailType,
    Detail: JSON.stringify(wire.detail),
    ...(wire.time ? { Time: new Date(wire.time) } : {}),
  };
}

/** An event's entry size; 0 for one that cannot be encoded, which the sink refuses on its own. */
export function eventEntryBytes(event: DomainEvent): number {
  const wire = tryToWire(event);
  return wire.ok ? putEventsEntryBytes(wireEventEntry(wire.wire)) : 0;
}

/**
 * Groups items, in order, into PutEvents calls of at most PUT_EVENTS_MAX_ENTRIES whose sizes stay under
 * `maxBytes` together. An item too large on its own goes alone: the bus refuses it, by index, not its neighbours.
 */
export function groupForPutEvents<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number = MAX_EVENT_BYTES,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= PUT_EVENTS_MAX_ENTRIES || bytes + size >= maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

export interface PriceQuery {
  poolIds?: readonly string[];
  options?: readonly PurchaseOption[];
}

export interface PriceSource {
  quotes(query?: PriceQuery): Promise<PriceQuote[]>;
}

export interface LaunchRequest {
  poolId: string;
  option: PurchaseOption;
  count: number;
  labels?: FleetNode['labels'];
}

export const LAUNCH_FAILURE_CODES = [
  'insufficient-capacity',
  'unsupported',
  'limit-exceeded',
  'error',
] as const;
export type LaunchFailureCode = (typeof LAUNCH_FAILURE_CODES)[number];

export interface LaunchOutcome {
  launched: FleetNode[];
  /** Part of a request that could not be met; the run moves to the next pool, it does not fail. */
  failures: {
    poolId: string;
    option: PurchaseOption;
    count: number;
    code: LaunchFailureCode;
    message: string;
  }[];
}

export interface ReleaseRequest {
  nodeIds: readonly string[];
  method: ReleaseMethod;
}

export interface ReleaseOutcome {
  released: string[];
  /** Nodes not released and why: protected, unmanaged, unknown, method not offered, provider error. */
  refused: { nodeId: string; reason: string }[];
}

/** GPUs running and waiting in a scheduler's queue. */
export interface QueueDemand {
  team?: string;
  poolId?: string;
  gpusRunning: number;
  gpusPending: number;
}

/** A fleet: a cloud account, a Slurm cluster, a Kubernetes cluster, or the simulated cloud. */
export interface CapacityProvider {
  readonly name: string;
  pools(): Promise<Pool[]>;
  nodes(): Promise<FleetNode[]>;
  prices(): Promise<PriceQuote[]>;
  launch(request: LaunchRequest): Promise<LaunchOutcome>;
  release(request: ReleaseRequest): Promise<ReleaseOutcome>;
  /** Marks a node as a candidate for release (a tag, a Slurm comment, a Kubernetes label). */
  mark(nodeId: string, mark: NodeMark): Promise<void>;
  unmark(nodeId: string): Promise<void>;
  /** GPU samples of nodes that do not run the agent (Prometheus/DCGM, the simulated cloud). */
  utilization(fromMs: number, toMs: number): Promise<UtilizationBatch[]>;
  queue(): Promise<QueueDemand[]>;
}

export class NodeNotFoundError extends Error {
  constructor(readonly nodeId: string) {
    super(`no node ${JSON.stringify(nodeId)} in this fleet`);
    this.name = 'NodeNotFoundError';
  }
}

export type CreateOutcome = 'created' | 'exists';

export interface RollupRepository {
  /** Writes rollups keyed (node, window, event id): a redelivered rollup rewrites its own item. */
  put(rollups: readonly WindowRollup[]): Promise<void>;
  /** The stored items of one node with windowStart in [fromMs, toMs), partial items unmerged. */
  forNode(nodeId: string, fromMs: number, toMs: number): Promise<WindowRollup[]>;
  /** Every node's items with windowStart in [fromMs, toMs). */
  between(fromMs: number, toMs: number): Promise<WindowRollup[]>;
}

export interface NodeRepository {
  put(node: FleetNode): Promise<void>;
  /** Writes the node only when its id is free: 'exists' (nothing written) when another writer was first. */
  create(node: FleetNode): Promise<CreateOutcome>;
  get(nodeId: string): Promise<FleetNode | undefined>;
  /** The nodes held of those asked for, by id, read as `get` reads (an id the store does not hold is absent). */
  getMany(nodeIds: readonly string[]): Promise<Map<string, FleetNode>>;
  list(): Promise<FleetNode[]>;
  /**
   * Sets the given fields of an existing node (a field given as undefined is removed: that is how a mark is
   * cleared); false when there is no such node. Invalid values are refused and the node is left as it was.
   * With `expected`, also false (nothing written) unless each named field still holds the given value
   * (undefined: absent): a read-fold-write that another writer overtook is then read and folded again.
   */
  patch(nodeId: string, fields: Partial<Omit<FleetNode, 'nodeId'>>, expected?: NodeVersion): Promise<boolean>;
  /** Keeps a fact about a node not in the fleet yet (by node and event id, so a redelivery rewrites it). */
  keepPendingFact(fact: PendingNodeFact): Promise<void>;
  /** The facts kept for a node (strongly consistent: a fact kept before the call is in the answer). */
  pendingFacts(nodeId: string): Promise<PendingNodeFact[]>;
}

export interface ForecastRepository {
  put(forecast: Forecast): Promise<void>;
  latest(classId: string): Promise<Forecast | undefined>;
  between(classId: string, fromMs: number, toMs: number): Promise<Forecast[]>;
}

/** The p90 calibration per class (or group total), one small item each, kept by the forecast run. */
export interface CalibrationRepository {
  get(classId: string): Promise<Calibration | undefined>;
  /**
   * Stores the calibration only if it scores a later forecast than the one stored (or none is): a run retried for
   * the same hour does not move the level twice. 'stale' when a calibration as late or later is already stored.
   */
  advance(calibration: Calibration): Promise<'stored' | 'stale'>;
}

// Ranges are [from, to) on: rollups windowStart, plans createdAt, ledger at, forecasts issuedAt,
// attribution ChargePeriodStart, bills ChargePeriodStart; results come oldest first.

/** Hourly demand per workload class, the forecast's history; hours are whole UTC hours. */
export interface DemandRepository {
  /** Upserts by (classId, hourStartMs): an hour written again replaces its value. Off-hour starts are refused. */
  put(points: readonly DemandHour[]): Promise<void>;
  /** Every class's hours with hourStartMs in [fromMs, toMs), oldest first (then by classId). */
  between(fromMs: number, toMs: number): Promise<DemandHour[]>;
}

export interface PlanRepository {
  /** Writes a plan once; a second write of the same planId is refused, not overwritten. */
  create(plan: Plan): Promise<CreateOutcome>;
  get(planId: string): Promise<Plan | undefined>;
  between(fromMs: number, toMs: number): Promise<Plan[]>;
}

export interface LedgerRepository {
  /** Records an entry once; a replayed entry (same entryId) is refused, so savings never count twice. */
  record(entry: LedgerEntry): Promise<CreateOutcome>;
  between(fromMs: number, toMs: number): Promise<LedgerEntry[]>;
}

export interface AttributionRepository {
  /**
   * Replaces an hour's rows (by ChargePeriodStart) under deterministic keys, so attributing an hour twice writes
   * the same rows and a shorter rewrite leaves no stale ones. `hourStartMs` must be on the hour.
   */
  putHour(hourStartMs: number, rows: readonly AttributionRow[]): Promise<void>;
  between(fromMs: number, toMs: number): Promise<AttributionRow[]>;
}

export interface PriceRepository {
  /** Upserts by (pool, option, term): a newer quote replaces the older one. */
  put(quotes: readonly PriceQuote[]): Promise<void>;
  all(): Promise<PriceQuote[]>;
  /** Deletes every quote of these pools (pools retired from the config); other pools' quotes stay. */
  removePools(poolIds: readonly string[]): Promise<void>;
}

export interface WorkloadClassRepository {
  put(workload: WorkloadClass): Promise<void>;
  list(): Promise<WorkloadClass[]>;
  /** Deletes these classes (retired from the config); an unknown id is no error. Forecasts stay as history. */
  remove(classIds: readonly string[]): Promise<void>;
}

/** The pools the deployment manages, as the deploy config declares them (written at every deploy). */
export interface PoolRepository {
  /** Upserts by pool id. */
  put(pools: readonly Pool[]): Promise<void>;
  list(): Promise<Pool[]>;
  /** Deletes these pools; an unknown id is no error. */
  remove(poolIds: readonly string[]): Promise<void>;
}

export interface StoredExport {
  /** Where the export came from (bucket/key, or a file name). */
  exportKey: string;
  contentSha256: string;
  importedAt: string;
  rows: number;
  rejected: number;
}

export type PutExportOutcome = 'created' | 'replaced' | 'unchanged';

/** Where imported bills are kept: rows per export file, written once per content so a re-import changes nothing. */
export interface BillRepository {
  /**
   * Keeps an export's rows under its key. The same content again changes nothing ('unchanged'); new content under
   * the same key (a provider rewriting the month's file) replaces that export's rows, never another's.
   */
  putExport(meta: StoredExport, rows: readonly BillRow[]): Promise<PutExportOutcome>;
  /** Rows of every export with ChargePeriodStart in [fromMs, toMs). */
  rowsBetween(fromMs: number, toMs: number): Promise<BillRow[]>;
  exports(): Promise<StoredExport[]>;
}

/** Where an object is read from: S3 GetObject in AWS, a map in tests. */
export interface ObjectLocation {
  bucket: string;
  key: string;
}

/** An object's bytes as they arrive: whole, or chunk by chunk (a stream). */
export type ObjectChunks = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Reads objects that land in storage (bill exports). */
export interface ObjectReader {
  read(location: ObjectLocation): Promise<ObjectChunks>;
}

/** Everything the runs keep: one repository per entity, over one table in DynamoDB. */
export interface Store {
  rollups: RollupRepository;
  nodes: NodeRepository;
  forecasts: ForecastRepository;
  plans: PlanRepository;
  ledger: LedgerRepository;
  attribution: AttributionRepository;
  prices: PriceRepository;
  classes: WorkloadClassRepository;
  /** The configured pools (deploy config → table), what the price refresh prices. */
  pools: PoolRepository;
  /** Imported cloud bill exports (FOCUS rows), for reconciliation and bill-rate savings. */
  bills: BillRepository;
  /** Hourly demand per class, aggregated from rollups by the forecast run. */
  demand: DemandRepository;
  /** Each class's p90 level, moved online by the misses of its scored forecasts (the forecast run). */
  calibration: CalibrationRepository;
}

/** Where GPU samples of nodes without the agent come from (Prometheus/DCGM), plugged into a fleet's provider. */
export interface UtilizationSource {
  /** One batch per node and 5-minute window with windowStart in [fromMs, toMs). */
  utilization(fromMs: number, toMs: number): Promise<UtilizationBatch[]>;
}

/** Structured logging: one JSON object a line (lib/ingest/logger.ts), so log tools can filter on fields. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** A secret's value by name: Secrets Manager in AWS (lib/system/secrets.ts). */
export type ReadSecret = (secretName: string) => Promise<string>;

/** Sends one e-mail with an HTML and a plain-text part: SES v2 in AWS (lib/notify/email.ts). */
export interface Mailer {
  send(message: EmailMessage): Promise<{ messageId: string }>;
}

export type DeliveryOutcome =
  | {
      delivered: true;
      attempts: number;
      /** The message's timestamp, where the transport tells it (threads). */ ts?: string;
    }
  | {
      delivered: false;
      attempts: number;
      error: string;
      /** False when retrying later cannot help (a revoked webhook, a bad token, an unknown channel). */
      retryable: boolean;
    };

export interface SendOptions {
  /** Post as a reply in this thread; transports that cannot thread ignore it. */
  threadTs?: string;
}

/** A way to post to Slack: an incoming webhook, or the Web API's chat.postMessage with a bot token. */
export interface SlackTransport {
  /** Whether replies can go into a thread (incoming webhooks cannot). */
  readonly threads: boolean;
  /** Delivers one message or says why not; a Slack outage is an outcome, never an exception. */
  send(message: SlackMessage, options?: SendOptions): Promise<DeliveryOutcome>;
}

/** What the notify run remembers between events: fingerprints already posted, threads, quiet events, the outbox. */
export interface Outbox {
  /** Adds a message, or rewrites it (same id and queuedAt) with its new attempt count and error. */
  put(message: OutboxMessage): Promise<void>;
  /** The oldest messages first. */
  oldest(limit: number): Promise<OutboxMessage[]>;
  remove(message: OutboxMessage): Promise<void>;
  depth(): Promise<number>;
}

export interface NotifyState {
  /** Whether the fingerprint was posted and is still remembered at `nowMs`. */
  seen(fingerprint: string, nowMs: number): Promise<boolean>;
  remember(fingerprint: string, untilMs: number): Promise<void>;
  /** The Slack timestamp of the first message about a subject, to reply in its thread. */
  thread(threadKey: string): Promise<string | undefined>;
  rememberThread(threadKey: string, ts: string, nowMs: number): Promise<void>;
  recordQuiet(event: QuietEvent): Promise<void>;
  /** Days (yyyy-mm-dd) before `beforeDay` that hold quiet events and whose digest nobody has claimed. */
  digestDaysDue(beforeDay: string): Promise<string[]>;
  quietOn(day: string): Promise<QuietEvent[]>;
  /** Claims a day's digest: true for the one run that gets to send it. */
  claimDigest(day: string, nowMs: number): Promise<boolean>;
  outbox: Outbox;
}

/** A fleet and, when known, what kind it is (the `provider` of its pools and nodes). */
export interface ConnectorEntry {
  kind?: Provider;
  provider: CapacityProvider;
}

/** Which provider owns a pool or a node, for one run. Pools are listed at most once, and only when needed. */
export interface ProviderIndex {
  forPool(poolId: string): Promise<CapacityProvider | undefined>;
  forNode(node: Pick<FleetNode, 'poolId' | 'provider'>): Promise<CapacityProvider | undefined>;
}

export interface ConnectorRegistry {
  readonly entries: readonly ConnectorEntry[];
  readonly providers: readonly CapacityProvider[];
  /**
   * An index for one run. `known` holds owners the run already learnt (pools it listed); a node is then found
   * by its pool, else by the one fleet of its kind, else by listing every fleet's pools (a failing fleet is
   * skipped: it owns nothing this run).
   */
  index(known?: ReadonlyMap<string, CapacityProvider>): ProviderIndex;
}

/** A request the actuator's guard chain judges (lib/actuator/guards.ts). */
export type GuardedRequest =
  | { kind: 'launch'; poolId: string; option: PurchaseOption; count: number }
  | { kind: 'release' | 'mark' | 'unmark' | 'tag'; node: FleetNode };

/** The guard chain's answer to a request. */
export type Judgement =
  | { verdict: 'carry-out' }
  | { verdict: 'recommend' }
  | { verdict: 'refuse'; refusal: Refusal; guard: string };

/** What became of a mark or unmark. */
export interface StepOutcome {
  status: 'done' | 'recommended' | 'refused' | 'failed';
  refusal?: Refusal;
  error?: string;
}

/** Every change to capacity goes through it: the guard chain, then the provider that owns the pool or node. */
export interface Actuator {
  readonly mode: Mode;
  /** Judges a request against the chain without carrying it out or counting it. */
  judge(request: GuardedRequest): Judgement;
  /** A launch action (pool, option, count): carried out in enforce mode, its nodes in `nodeIds`, their states in `launched`. */
  launch(action: Action, labels?: Labels): Promise<{ action: Action; launched: FleetNode[] }>;
  /** A release action of one node (`nodeIds[0]`); its method is the action's, else the provider's default. */
  release(action: Action): Promise<Action>;
  /**
   * Judges a step before a run commits to it (before headroom or other counts are taken), recording a refusal.
   * Nothing is counted against the caps: the step is judged again when carried out.
   */
  screen(request: Extract<GuardedRequest, { node: FleetNode }>): Promise<Refusal | undefined>;
  /** Refuses an action for a reason found outside the chain (a launch it waits for), and records it. */
  refuse(action: Action, reason: Refusal): Promise<Action>;
  mark(node: FleetNode, mark: NodeMark): Promise<StepOutcome>;
  unmark(node: FleetNode): Promise<StepOutcome>;
  /** Ledger writes that failed (the actions themselves stand). */
  readonly ledgerFailures: string[];
}

/** Where the agent's finished batches go (lib/agent/agent.ts): printed (--dry-run) or spooled and sent. */
export interface BatchSink {
  deliver(batches: readonly UtilizationBatch[]): Promise<void>;
  /** Sends what is waiting; called on every tick so an outage drains once EventBridge is back. */
  retry(): Promise<void>;
}
