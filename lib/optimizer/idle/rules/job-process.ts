// A job process on a GPU, or a job the scheduler says runs there, keeps the node whatever its utilization.
import type { IdleRule } from '../types.ts';

export const jobProcessRule: IdleRule = {
  name: 'job-process',
  evaluate({ node, windows }) {
    if (node.runningJobs.length > 0) {
      return { verdict: 'busy', reason: `scheduler runs job ${node.runningJobs.join(', ')}` };
    }
    for (const w of windows) {
      const job = w.jobs[0];
      if (job) return { verdict: 'busy', reason: `job ${job.jobId} holds a GPU at ${w.windowStart}` };
      const gpu = w.gpus.find((g) => g.processCount > 0);
      if (gpu) return { verdict: 'busy', reason: `a process holds GPU ${gpu.index} at ${w.windowStart}` };
    }
    return { verdict: 'idle', reason: 'no process on any GPU' };
  },
};
