// AWS EC2 as a CapacityProvider: managed GPU instances, CreateFleet launches, stop / hibernate / terminate, marks as tags.
import type {
  CreateFleetCommandInput,
  EC2Client,
  FleetLaunchTemplateOverridesRequest,
  Instance,
  Tag,
  _InstanceType,
} from '@aws-sdk/client-ec2';
import type { FleetNode, NodeMark } from '../../domain/fleet.ts';
import type { Pool } from '../../domain/pool.ts';
import {
  NodeNotFoundError,
  type CapacityProvider,
  type Clock,
  type LaunchOutcome,
  type LaunchRequest,
  type ReleaseOutcome,
  type ReleaseRequest,
} from '../../domain/ports.ts';
import { canonicalGpuModel } from '../gpu-model.ts';
import { ec2ErrorCode, isNotFound, isProtectionRefusal, launchFailureCode } from './errors.ts';
import {
  DEFAULT_EC2_TAG_KEYS,
  instanceToNode,
  markTags,
  tagMap,
  type Ec2TagKeys,
  type GpuShape,
} from './map.ts';

// The EC2 commands load on first use: the client package takes ~700 ms to import, and a reclaim run in
// recommend mode never calls EC2.
let ec2Sdk: Promise<typeof import('@aws-sdk/client-ec2')> | undefined;
const sdk = () => (ec2Sdk ??= import('@aws-sdk/client-ec2'));

export interface Ec2LaunchTemplate {
  launchTemplateId?: string;
  launchTemplateName?: string;
  version?: string;
}

export interface Ec2ProviderOptions {
  ec2: EC2Client;
  region: string;
  /** The pools this account launches into (AWS pools: provider aws, this region, one zone, one type). */
  pools: readonly Pool[];
  launchTemplate: Ec2LaunchTemplate;
  /** Subnet per availability zone; CreateFleet places each override in its zone's subnet. */
  subnets?: Record<string, string>;
  /**
   * Pools that may stand in for a pool in one CreateFleet (same GPU, other types or zones): spot capacity
   * is found more often across several, and price-capacity-optimized picks among them.
   */
  substitutes?: Record<string, readonly string[]>;
  tagKeys?: Partial<Ec2TagKeys>;
  name?: string;
  clock?: Clock;
}

const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export function createEc2Provider(options: Ec2ProviderOptions): CapacityProvider {
  const { ec2, region } = options;
  const keys: Ec2TagKeys = { ...DEFAULT_EC2_TAG_KEYS, ...options.tagKeys };
  const clock = options.clock ?? { now: () => Date.now() };
  const pools = new Map(options.pools.map((p) => [p.id, p]));
  const gpuShapes = new Map<string, GpuShape>(
    options.pools.map((p) => [p.instanceType, { gpuModel: p.gpuModel, gpuCount: p.gpusPerInstance }]),
  );

  /** GPUs of instance types no pool names, from DescribeInstanceTypes, asked once per type. */
  async function shapesFor(types: readonly string[]): Promise<void> {
    const unknown = [...new Set(types)].filter((t) => !gpuShapes.has(t));
    if (unknown.length === 0) return;
    const out = await ec2.send(
      new (await sdk()).DescribeInstanceTypesCommand({ InstanceTypes: unknown as _InstanceType[] }),
    );
    for (const info of out.InstanceTypes ?? []) {
      const gpu = info.GpuInfo?.Gpus?.[0];
      const model = gpu
        ? canonicalGpuModel(`${gpu.Manufacturer ?? ''} ${gpu.Name ?? ''}`, gpu.MemoryInfo?.SizeInMiB).name
        : 'none';
      const count = (info.GpuInfo?.Gpus ?? []).reduce((n, g) => n + (g.Count ?? 0), 0);
      gpuShapes.set(info.InstanceType!, { gpuModel: model, gpuCount: count });
    }
    for (const t of unknown) if (!gpuShapes.has(t)) gpuShapes.set(t, { gpuModel: 'unknown', gpuCount: 0 });
  }

  async function describe(instanceIds?: readonly string[]): Promise<Instance[]> {
    const instances: Instance[] = [];
    const filters = [
      { Name: `tag:${keys.managed}`, Values: ['true'] },
      { Name: 'instance-state-name', Values: LIVE_STATES },
    ];
    const pages = (await sdk()).paginateDescribeInstances(
      { client: ec2, pageSize: 500 },
      instanceIds ? { InstanceIds: [...instanceIds], Filters: filters } : { Filters: filters },
    );
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) instances.push(...(reservation.Instances ?? []));
    }
    return instances;
  }

  async function listNodes(): Promise<FleetNode[]> {
    const instances = await describe();
    await shapesFor(instances.map((i) => i.InstanceType ?? 'unknown'));
    const now = clock.now();
    return instances.map((i) =>
      instanceToNode(i, region, gpuShapes.get(i.InstanceType ?? 'unknown')!, keys, now),
    );
  }

  function overrideFor(pool: Pool): FleetLaunchTemplateOverridesRequest {
    const subnet = options.subnets?.[pool.zone];
    return {
      InstanceType: pool.instanceType as _InstanceType,
      ...(subnet ? { SubnetId: subnet } : { AvailabilityZone: pool.zone }),
    };
  }

  function fleetRequest(request: LaunchRequest, launchPools: readonly Pool[]): CreateFleetCommandInput {
    const spot = request.option === 'spot';
    const instanceTags: Tag[] = [
      { Key: keys.managed, Value: 'true' },
      ...(request.labels?.team ? [{ Key: keys.team, Value: request.labels.team }] : []),
      ...(request.labels?.project ? [{ Key: keys.project, Value: request.labels.project }] : []),
    ];
    return {
      Type: 'instant',
      TargetCapacitySpecification: {
        TotalTargetCapacity: request.count,
        DefaultTargetCapacityType: spot ? 'spot' : 'on-demand',
        ...(spot ? { SpotTargetCapacity: request.count } : { OnDemandTargetCapacity: request.count }),
      },
      // price-capacity-optimized: the cheapest pools among those least likely to be interrupted.
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
      OnDemandOptions: { AllocationStrategy: 'lowest-price' },
      LaunchTemplateConfigs: [
        {
          LaunchTemplateSpecification: {
            ...(options.launchTemplate.launchTemplateId
              ? { LaunchTemplateId: options.launchTemplate.launchTemplateId }
              : { LaunchTemplateName: options.launchTemplate.launchTemplateName }),
            Version: options.launchTemplate.version ?? '$Default',
          },
          Overrides: launchPools.map(overrideFor),
        },
      ],
      TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags }],
    };
  }

  return {
    name: options.name ?? `aws-ec2-${region}`,
    async pools() {
      return [...pools.values()].map((p) => ({ ...p }));
    },
    nodes: listNodes,
    async prices() {
      // Prices come from lib/pricing (Pricing API, spot price history): one fact, one place.
      return [];
    },
    async launch(request: LaunchRequest): Promise<LaunchOutcome> {
      const failure = (count: number, code: LaunchOutcome['failures'][number]['code'], message: string) => ({
        poolId: request.poolId,
        option: request.option,
        count,
        code,
        message,
      });
      const pool = pools.get(request.poolId);
      if (!pool)
        return {
          launched: [],
          failures: [failure(request.count, 'unsupported', `no pool ${request.poolId} in ${region}`)],
        };
      if (request.option !== 'spot' && request.option !== 'on-demand') {
        return {
          launched: [],
          failures: [
            failure(request.count, 'unsupported', `EC2 launches spot or on-demand, not ${request.option}`),
          ],
        };
      }
      if (request.count <= 0) return { launched: [], failures: [] };
      const launchPools = [
        pool,
        ...(options.substitutes?.[pool.id] ?? []).map((id) => pools.get(id)).filter((p): p is Pool => !!p),
      ];
      let response;
      try {
        response = await ec2.send(new (await sdk()).CreateFleetCommand(fleetRequest(request, launchPools)));
      } catch (error) {
        // Throttling, a bad template or missing permission: this pool fails, the run goes on.
        return {
          launched: [],
          failures: [
            failure(
              request.count,
              launchFailureCode(error),
              `${ec2ErrorCode(error)}: ${(error as Error).message}`,
            ),
          ],
        };
      }
      const now = clock.now();
      const launched: FleetNode[] = [];
      for (const entry of response.Instances ?? []) {
        const type =
          entry.InstanceType ??
          entry.LaunchTemplateAndOverrides?.Overrides?.InstanceType ??
          pool.instanceType;
        const zone =
          entry.LaunchTemplateAndOverrides?.Overrides?.AvailabilityZone ??
          launchPools.find(
            (p) =>
              p.instanceType === type &&
              options.subnets?.[p.zone] === entry.LaunchTemplateAndOverrides?.Overrides?.SubnetId,
          )?.zone ??
          pool.zone;
        const shape = gpuShapes.get(type) ?? { gpuModel: pool.gpuModel, gpuCount: pool.gpusPerInstance };
        for (const instanceId of entry.InstanceIds ?? []) {
          launched.push(
            instanceToNode(
              {
                InstanceId: instanceId,
                InstanceType: type as _InstanceType,
                Placement: { AvailabilityZone: zone },
                State: { Name: 'pending' },
                InstanceLifecycle: entry.Lifecycle === 'spot' ? 'spot' : undefined,
                LaunchTime: new Date(now),
                Tags: fleetRequest(request, launchPools).TagSpecifications![0]!.Tags,
              },
              region,
              shape,
              keys,
              now,
            ),
          );
        }
      }
      const failures: LaunchOutcome['failures'] = [];
      const short = request.count - launched.length;
      if (short > 0) {
        // CreateFleet lists one error per override it tried; the first capacity error says the most.
        const errors = response.Errors ?? [];
        const first = errors.find((e) => launchFailureCode(e) === 'insufficient-capacity') ?? errors[0];
        failures.push(
          failure(
            short,
            first ? launchFailureCode(first) : 'insufficient-capacity',
            first
              ? `${first.ErrorCode}: ${first.ErrorMessage ?? ''}`.trim()
              : `EC2 launched ${launched.length} of ${request.count}`,
          ),
        );
      }
      return { launched, failures };
    },
    async release(request: ReleaseRequest): Promise<ReleaseOutcome> {
      const outcome: ReleaseOutcome = { released: [], refused: [] };
      const { method } = request;
      if (method !== 'stop' && method !== 'hibernate' && method !== 'terminate') {
        return {
          released: [],
          refused: request.nodeIds.map((nodeId) => ({
            nodeId,
            reason: `method ${method} not offered by EC2: use stop, hibernate or terminate`,
          })),
        };
      }
      const known = new Map((await describe()).map((i) => [i.InstanceId!, i]));
      for (const nodeId of request.nodeIds) {
        const instance = known.get(nodeId);
        if (!instance) {
          outcome.refused.push({ nodeId, reason: 'unknown node: no managed instance with this id' });
          continue;
        }
        if (tagMap(instance.Tags).get(keys.protected) === 'true') {
          outcome.refused.push({ nodeId, reason: `protected: tagged ${keys.protected}=true` });
          continue;
        }
        try {
          if (method === 'terminate')
            await ec2.send(new (await sdk()).TerminateInstancesCommand({ InstanceIds: [nodeId] }));
          else
            await ec2.send(
              new (await sdk()).StopInstancesCommand({
                InstanceIds: [nodeId],
                Hibernate: method === 'hibernate',
              }),
            );
          outcome.released.push(nodeId);
        } catch (error) {
          const reason = isProtectionRefusal(error)
            ? `protected: EC2 ${method} protection is on (${ec2ErrorCode(error)})`
            : isNotFound(error)
              ? `unknown node: ${ec2ErrorCode(error)}`
              : `provider error: ${ec2ErrorCode(error)}: ${(error as Error).message}`;
          outcome.refused.push({ nodeId, reason });
        }
      }
      return outcome;
    },
    async mark(nodeId: string, mark: NodeMark) {
      await requireInstance(nodeId);
      await ec2.send(
        new (await sdk()).CreateTagsCommand({ Resources: [nodeId], Tags: markTags(mark, keys) }),
      );
    },
    async unmark(nodeId: string) {
      await requireInstance(nodeId);
      await ec2.send(
        new (await sdk()).DeleteTagsCommand({
          Resources: [nodeId],
          Tags: [{ Key: keys.markedAt }, { Key: keys.markReason }],
        }),
      );
    },
    async utilization() {
      // EC2 GPU nodes run the agent; its batches arrive on the bus, not through a poll.
      return [];
    },
    async queue() {
      return [];
    },
  };

  async function requireInstance(nodeId: string): Promise<void> {
    try {
      const found = await describe([nodeId]);
      if (found.length === 0) throw new NodeNotFoundError(nodeId);
    } catch (error) {
      if (error instanceof NodeNotFoundError || isNotFound(error)) throw new NodeNotFoundError(nodeId);
      throw error;
    }
  }
}
