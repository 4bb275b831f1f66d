import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fsProcReader,
  labelsFromCgroup,
  procJobResolver,
  slurmLabelsFromEnviron,
  withDefaults,
} from '../../lib/agent/jobs.ts';
import { lastLoginFromLast, lastLoginFromWho } from '../../lib/agent/logins.ts';
import { parseRfc3339 } from '../../lib/domain/time.ts';

const environ = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([k, v]) => `${k}=${v}\0`)
    .join('');

describe('job labels of GPU processes', () => {
  it('reads the Slurm job, user and account from a task environment', () => {
    const env = environ({
      PATH: '/usr/bin',
      SLURM_JOB_ID: '48213',
      SLURM_JOB_USER: 'ada',
      SLURM_JOB_ACCOUNT: 'vision',
    });
    expect(slurmLabelsFromEnviron(env)).toEqual({ jobId: 'slurm:48213', user: 'ada', project: 'vision' });
    expect(slurmLabelsFromEnviron(environ({ HOME: '/root' }))).toBeUndefined();
  });

  it('reads the job from Slurm cgroup paths (v1 and v2) and the pod from kubelet cgroups', () => {
    expect(labelsFromCgroup('4:memory:/slurm/uid_1000/job_48213/step_0/task_0\n')).toEqual({
      jobId: 'slurm:48213',
    });
    expect(labelsFromCgroup('0::/system.slice/slurmstepd.scope/job_77/step_batch/user/task_0\n')).toEqual({
      jobId: 'slurm:77',
    });
    expect(
      labelsFromCgroup(
        '0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b6f5e2a_9c1d_4e7f_8a3b_2c4d6e8f0a1b.slice/cri-containerd-ab12.scope\n',
      ),
    ).toEqual({ jobId: 'k8s-pod:0b6f5e2a-9c1d-4e7f-8a3b-2c4d6e8f0a1b' });
    expect(labelsFromCgroup('0::/user.slice/user-1000.slice/session-3.scope\n')).toBeUndefined();
  });

  it('resolves pids through a /proc tree, preferring the environment, skipping vanished processes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-'));
    mkdirSync(join(root, '101'));
    writeFileSync(join(root, '101', 'environ'), environ({ SLURM_JOB_ID: '9', SLURM_JOB_USER: 'bo' }));
    writeFileSync(join(root, '101', 'cgroup'), '0::/system.slice/slurmstepd.scope/job_9/step_0\n');
    mkdirSync(join(root, '202'));
    writeFileSync(join(root, '202', 'cgroup'), '4:memory:/slurm/uid_0/job_12/step_0\n');
    const resolver = withDefaults(procJobResolver(fsProcReader(root)), { team: 'research' });
    const labels = await resolver.labelsFor([101, 202, 303]);
    expect(Object.fromEntries(labels)).toEqual({
      101: { team: 'research', jobId: 'slurm:9', user: 'bo' },
      202: { team: 'research', jobId: 'slurm:12' },
    });
  });
});

describe('last interactive login', () => {
  const now = parseRfc3339('2024-03-05T15:00:00Z');
  const last = [
    'ada      pts/0        10.0.0.5         2024-03-05T10:12:33+00:00 - 2024-03-05T11:00:02+00:00  (00:47)',
    'bo       pts/1        10.0.0.6         2024-03-04T09:00:00+0000 - 2024-03-04T17:30:00+0000  (08:30)',
    'reboot   system boot  5.15.0-91-generi 2024-03-05T12:00:00+00:00   still running',
    'cron     ?                             2024-03-05T13:00:00+00:00 - 2024-03-05T13:00:01+00:00  (00:00)',
    '',
    'wtmp begins 2024-03-01T08:00:00+00:00',
  ].join('\n');

  it('takes the latest logout of a terminal session, ignoring reboots and non-interactive lines', () => {
    expect(lastLoginFromLast(last, now)).toBe('2024-03-05T11:00:02Z');
  });

  it('takes now when someone is still logged in', () => {
    const open = `${last}\ncy       pts/2        10.0.0.7         2024-03-05T14:00:00+00:00   still logged in\n`;
    expect(lastLoginFromLast(open, now)).toBe('2024-03-05T15:00:00Z');
  });

  it('takes the login time when the session ended in a crash', () => {
    const crash = 'dee      tty1                          2024-03-05T13:30:00+00:00 - crash (00:10)\n';
    expect(lastLoginFromLast(crash, now)).toBe('2024-03-05T13:30:00Z');
  });

  it('knows nothing from an empty wtmp', () => {
    expect(lastLoginFromLast('\nwtmp begins 2024-03-01T08:00:00+00:00\n', now)).toBeNull();
  });

  it('reads who: anyone on a terminal means logged in now', () => {
    expect(lastLoginFromWho('ada      pts/0        2024-03-05 10:12 (10.0.0.5)\n', now)).toBe(
      '2024-03-05T15:00:00Z',
    );
    expect(lastLoginFromWho('', now)).toBeNull();
  });
});
