// The optimizer's EventBridge bus: the stack names it after itself, and agents and connectors send to it.

/** The stack's default name, and so the bus name an agent uses when none is given. */
export const DEFAULT_STACK_NAME = 'GpuOptimizer';

/** The stack creates its bus under the stack's own name; the stack output `EventBusName` says which. */
export function busNameOfStack(stackName: string): string {
  return stackName;
}

export const DEFAULT_BUS_NAME = busNameOfStack(DEFAULT_STACK_NAME);
