// The gpu-optimizer command line.
import { processIo, runCli } from '../lib/cli/main.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
