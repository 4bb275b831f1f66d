// The node agent alone: the entry of its single-file bundle (`npm run build:agent`), which ships no other command.
import { agentCommand } from '../lib/cli/commands/agent.ts';
import { processIo, runCommands } from '../lib/cli/dispatch.ts';

const argv = process.argv.slice(2);
// `gpu-optimizer-agent --ec2` and `gpu-optimizer-agent agent --ec2` both run the agent.
const line = argv[0] === agentCommand.name || argv[0] === '--version' ? argv : [agentCommand.name, ...argv];
process.exitCode = await runCommands([agentCommand], line, processIo());
