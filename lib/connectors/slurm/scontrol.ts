// Runs `scontrol update` for the Slurm versions whose REST API cannot change a node (22.05 and older).
import { execFile } from 'node:child_process';

/** Runs scontrol with the given arguments; rejects with its stderr when it fails. */
export type ScontrolRunner = (args: readonly string[]) => Promise<void>;

export interface ScontrolOptions {
  /** Path of the scontrol binary; default: from PATH. */
  command?: string;
  /** slurm.conf of the cluster, when it is not the default one. */
  slurmConf?: string;
  timeoutMs?: number;
}

export function createScontrolRunner(options: ScontrolOptions = {}): ScontrolRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(
        options.command ?? 'scontrol',
        [...args],
        {
          timeout: options.timeoutMs ?? 15_000,
          env: { ...process.env, ...(options.slurmConf ? { SLURM_CONF: options.slurmConf } : {}) },
        },
        (error, _stdout, stderr) => {
          if (error)
            reject(new Error(`scontrol ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
          else resolve();
        },
      );
    });
}
