// A stateful EC2 behind aws-sdk-client-mock for tests: the real SDK client, answers shaped as in the EC2 API reference.
import {
  CreateFleetCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  EC2Client,
  EC2ServiceException,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type CreateFleetCommandInput,
  type CreateFleetError,
  type CreateTagsCommandInput,
  type DeleteTagsCommandInput,
  type DescribeInstancesCommandInput,
  type DescribeInstanceTypesCommandInput,
  type StopInstancesCommandInput,
  type TerminateInstancesCommandInput,
  type CreateFleetInstance,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

export function ec2Error(code: string, message: string): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message,
  });
}

export interface FakeEc2 {
  client: EC2Client;
  mock: AwsClientStub<EC2Client>;
  instances: Map<string, Instance>;
  /** Instances a zone and type can still start, per lifecycle; absent = unlimited. */
  capacity: Map<string, number>;
  /** Instances with disableApiTermination / disableApiStop set. */
  apiProtected: Set<string>;
  /** Page size DescribeInstances answers with, to make pagination visible. */
  pageSize: number;
  /** The zone of each subnet, for overrides that name a subnet. */
  subnetZones: Map<string, string>;
  add(instance: Partial<Instance> & { InstanceId: string }): void;
}

const STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export function capacityKey(zone: string, type: string, lifecycle: 'spot' | 'on-demand'): string {
  return `${zone}|${type}|${lifecycle}`;
}

/** GpuInfo of a few GPU types, as DescribeInstanceTypes answers. */
const INSTANCE_TYPES = {
  'p4d.24xlarge': {
    Gpus: [{ Name: 'A100', Manufacturer: 'NVIDIA', Count: 8, MemoryInfo: { SizeInMiB: 40960 } }],
    TotalGpuMemoryInMiB: 327680,
  },
  'p5.48xlarge': {
    Gpus: [{ Name: 'H100', Manufacturer: 'NVIDIA', Count: 8, MemoryInfo: { SizeInMiB: 81920 } }],
    TotalGpuMemoryInMiB: 655360,
  },
  'g5.xlarge': {
    Gpus: [{ Name: 'A10G', Manufacturer: 'NVIDIA', Count: 1, MemoryInfo: { SizeInMiB: 24576 } }],
    TotalGpuMemoryInMiB: 24576,
  },
} as const;

export function createFakeEc2(region = 'us-east-1'): FakeEc2 {
  const client = new EC2Client({ region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(client);
  const fake: FakeEc2 = {
    client,
    mock,
    instances: new Map(),
    capacity: new Map(),
    apiProtected: new Set(),
    pageSize: 2,
    subnetZones: new Map(),
    add(instance) {
      fake.instances.set(instance.InstanceId, {
        AmiLaunchIndex: 0,
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 'p4d.24xlarge',
        LaunchTime: new Date('2026-01-05T08:00:00Z'),
        Placement: { AvailabilityZone: `${region}a`, GroupName: '', Tenancy: 'default' },
        PrivateIpAddress: '10.0.0.157',
        State: { Code: 16, Name: 'running' },
        SubnetId: 'subnet-04a636d18e83cfacb',
        VpcId: 'vpc-1234567890abcdef0',
        Architecture: 'x86_64',
        Tags: [],
        ...instance,
      });
    },
  };
  let sequence = 0;

  function find(id: string): Instance {
    const instance = fake.instances.get(id);
    if (!instance) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return instance;
  }
  function setState(instance: Instance, name: string) {
    instance.State = { Code: STATE_CODES[name], Name: name as never };
  }

  mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    let list = input.InstanceIds?.length ? input.InstanceIds.map(find) : [...fake.instances.values()];
    for (const filter of input.Filters ?? []) {
      const values = filter.Values ?? [];
      if (filter.Name?.startsWith('tag:')) {
        const key = filter.Name.slice(4);
        list = list.filter((i) =>
          (i.Tags ?? []).some((t) => t.Key === key && values.includes(t.Value ?? '')),
        );
      } else if (filter.Name === 'instance-state-name') {
        list = list.filter((i) => values.includes(i.State?.Name ?? ''));
      }
    }
    const start = Number(input.NextToken ?? 0);
    const size = Math.min(input.MaxResults ?? 1000, fake.pageSize);
    const page = list.slice(start, start + size);
    return {
      Reservations: page.map((i, k) => ({
        ReservationId: `r-0${start + k}`,
        OwnerId: '123456789012',
        Groups: [],
        Instances: [structuredClone(i)],
      })),
      ...(start + size < list.length ? { NextToken: String(start + size) } : {}),
    };
  });

  mock.on(DescribeInstanceTypesCommand).callsFake((input: DescribeInstanceTypesCommandInput) => ({
    InstanceTypes: (input.InstanceTypes ?? [])
      .filter((t) => t in INSTANCE_TYPES)
      .map((t) => ({ InstanceType: t, GpuInfo: INSTANCE_TYPES[t as keyof typeof INSTANCE_TYPES] })),
  }));

  mock.on(CreateFleetCommand).callsFake((input: CreateFleetCommandInput) => {
    const lifecycle =
      input.TargetCapacitySpecification?.DefaultTargetCapacityType === 'spot' ? 'spot' : 'on-demand';
    let wanted = input.TargetCapacitySpecification?.TotalTargetCapacity ?? 0;
    const config = input.LaunchTemplateConfigs?.[0];
    const instances: CreateFleetInstance[] = [];
    const errors: CreateFleetError[] = [];
    for (const override of config?.Overrides ?? []) {
      if (wanted === 0) break;
      const zone = override.AvailabilityZone ?? fake.subnetZones.get(override.SubnetId ?? '') ?? `${region}a`;
      const type = override.InstanceType!;
      const key = capacityKey(zone, type, lifecycle);
      const free = fake.capacity.get(key) ?? Infinity;
      const n = Math.min(wanted, free);
      const spec = { LaunchTemplateSpecification: config?.LaunchTemplateSpecification, Overrides: override };
      if (n < wanted) {
        errors.push({
          LaunchTemplateAndOverrides: spec,
          Lifecycle: lifecycle,
          ErrorCode: 'InsufficientInstanceCapacity',
          ErrorMessage: `We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${zone}). Our system will be working on provisioning additional capacity.`,
        });
      }
      if (n === 0) continue;
      if (free !== Infinity) fake.capacity.set(key, free - n);
      const ids: string[] = [];
      for (let k = 0; k < n; k++) {
        const id = `i-0fake${String(++sequence).padStart(12, '0')}`;
        ids.push(id);
        fake.add({
          InstanceId: id,
          InstanceType: type,
          Placement: { AvailabilityZone: zone, GroupName: '', Tenancy: 'default' },
          State: { Code: 0, Name: 'pending' },
          ...(lifecycle === 'spot' ? { InstanceLifecycle: 'spot' } : {}),
          Tags: input.TagSpecifications?.find((t) => t.ResourceType === 'instance')?.Tags ?? [],
        });
      }
      instances.push({
        LaunchTemplateAndOverrides: spec,
        Lifecycle: lifecycle,
        InstanceIds: ids,
        InstanceType: type,
      });
      wanted -= n;
    }
    return { FleetId: `fleet-${sequence}`, Errors: errors, Instances: instances };
  });

  mock.on(StopInstancesCommand).callsFake((input: StopInstancesCommandInput) => ({
    StoppingInstances: (input.InstanceIds ?? []).map((id) => {
      const instance = find(id);
      if (fake.apiProtected.has(id)) {
        throw ec2Error(
          'OperationNotPermitted',
          `The instance '${id}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`,
        );
      }
      const previous = instance.State;
      setState(instance, 'stopping');
      return { InstanceId: id, PreviousState: previous, CurrentState: instance.State };
    }),
  }));

  mock.on(TerminateInstancesCommand).callsFake((input: TerminateInstancesCommandInput) => ({
    TerminatingInstances: (input.InstanceIds ?? []).map((id) => {
      const instance = find(id);
      if (fake.apiProtected.has(id)) {
        throw ec2Error(
          'OperationNotPermitted',
          `The instance '${id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
        );
      }
      const previous = instance.State;
      setState(instance, 'shutting-down');
      return { InstanceId: id, PreviousState: previous, CurrentState: instance.State };
    }),
  }));

  mock.on(CreateTagsCommand).callsFake((input: CreateTagsCommandInput) => {
    for (const id of input.Resources ?? []) {
      const instance = find(id);
      const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
      for (const t of input.Tags ?? []) tags.set(t.Key, t.Value);
      instance.Tags = [...tags].map(([Key, Value]) => ({ Key, Value }));
    }
    return {};
  });

  mock.on(DeleteTagsCommand).callsFake((input: DeleteTagsCommandInput) => {
    for (const id of input.Resources ?? []) {
      const instance = find(id);
      const drop = new Set((input.Tags ?? []).map((t) => t.Key));
      instance.Tags = (instance.Tags ?? []).filter((t) => !drop.has(t.Key));
    }
    return {};
  });

  return fake;
}
