// Where the deploy config comes from: `-c config=FILE`, a `gpuOptimizer` context object, ./gpu-optimizer.config.json, or the example.
import type { Node } from 'constructs';
import { parseDeployConfig, readDeployConfigFile, type DeployConfig } from './config.ts';
import { PROJECT_ROOT } from './handler-function.ts';

export const CONFIG_FILE_CONTEXT_KEY = 'config';
export const CONFIG_OBJECT_CONTEXT_KEY = 'gpuOptimizer';
export const DEFAULT_CONFIG_FILE = 'gpu-optimizer.config.json';
export const EXAMPLE_CONFIG_FILE = `${PROJECT_ROOT}config/example.json`;

export interface LoadedConfig {
  config: DeployConfig;
  source: 'context-file' | 'context-object' | 'default-file' | 'example';
}

export function loadDeployConfig(
  node: Pick<Node, 'tryGetContext'>,
  fs: { cwd: string; exists: (path: string) => boolean; resolve: (...parts: string[]) => string },
): LoadedConfig {
  const file = node.tryGetContext(CONFIG_FILE_CONTEXT_KEY) as unknown;
  if (typeof file === 'string' && file.length > 0)
    return { config: readDeployConfigFile(fs.resolve(fs.cwd, file)), source: 'context-file' };
  const object = node.tryGetContext(CONFIG_OBJECT_CONTEXT_KEY) as unknown;
  if (object !== undefined)
    return {
      config: parseDeployConfig(object, `context ${CONFIG_OBJECT_CONTEXT_KEY}`),
      source: 'context-object',
    };
  const local = fs.resolve(fs.cwd, DEFAULT_CONFIG_FILE);
  if (fs.exists(local)) return { config: readDeployConfigFile(local), source: 'default-file' };
  // A fresh clone synthesizes with the example, so `cdk synth` works before anything is configured.
  return { config: readDeployConfigFile(EXAMPLE_CONFIG_FILE), source: 'example' };
}
