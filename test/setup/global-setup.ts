// Starts what the tests need before any test file runs, and hands its address to the tests.
//
// Now: one dynalite (on a worker thread of this process) for the whole run; each test file makes its own table in it
// (test/support/dynamo.ts), so files run in parallel without clashing.
//
// To add a Debian service later (Slurm, Prometheus, aws-ses-v2-local):
//   1. here: `const promtool = findBinary('prometheus')`; if found, start it on 127.0.0.1 with a free
//      port and `project.provide('prometheusUrl', url)`, else `project.provide('prometheusUrl', '')`;
//      push its stop function onto `stops`; declare the key in ProvidedContext below;
//   2. in the test file: `describeWithService('prometheus', 'prometheus', 'connector on Prometheus', () => …)`
//      (test/support/services.ts), which skips naming the Debian package, or fails under CI=true.
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import type { TestProject } from 'vitest/node';
import { startDynalite } from '../../lib/store/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port> of the dynalite every test file shares (one table per file). */
    dynamoEndpoint: string;
    /** http://127.0.0.1:<port> of aws-ses-v2-local: an SES v2 endpoint; GET /store lists what was sent. */
    sesEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const dynamo = await startDynalite();
  stops.push(dynamo.close);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  // aws-ses-v2-local (an npm package, in this process): tests tell their mail apart by recipient.
  // A CommonJS module with an ES default: loaders differ on whether `default` is unwrapped.
  const startSesLocal = (
    typeof sesLocal === 'function' ? sesLocal : sesLocal.default
  ) as typeof sesLocal.default;
  const ses = await startSesLocal({ host: '127.0.0.1', port: 0 });
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        ses.closeAllConnections();
        ses.close(() => resolve());
      }),
  );
  project.provide('sesEndpoint', `http://127.0.0.1:${(ses.address() as AddressInfo).port}`);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
