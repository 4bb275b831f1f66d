// Where the deploy config comes from: `-c config=FILE`, a `gpuOptimizer` context object, ./gpu-optimizer.config.json; the example only when asked for.
import type { Node } from 'constructs';
import { ValidationError } from '../domain/validation.ts';
import { parseDeployConfig, readConfigDocument, type DeployConfig } from './config.ts';
import { PROJECT_ROOT } from './handler-function.ts';

export const CONFIG_FILE_CONTEXT_KEY = 'config';
export const CONFIG_OBJECT_CONTEXT_KEY = 'gpuOptimizer';
/** `cdk synth --context example=true`: synthesize the example, for a look at the template and for tests. */
export const EXAMPLE_CONTEXT_KEY = 'example';
export const DEFAULT_CONFIG_FILE = 'gpu-optimizer.config.json';
export const EXAMPLE_CONFIG_FILE = `${PROJECT_ROOT}config/example.json`;

export interface LoadedConfig {
  config: DeployConfig;
  /** The document as written: what the table keeps and the runs read back. */
  input: unknown;
  source: 'context-file' | 'context-object' | 'default-file' | 'example';
}

/** No config at all: what to set, and the one way to synthesize the example on purpose. */
export class ConfigMissingError extends ValidationError {
  constructor() {
    super(
      'deploy: no config',
      `write ${DEFAULT_CONFIG_FILE} (start from config/example.json: region, launchTemplateId, pools, classes, report.from and report.recipients are yours to set), or pass -c ${CONFIG_FILE_CONTEXT_KEY}=FILE. ` +
        `To synthesize the example's placeholders on purpose: --context ${EXAMPLE_CONTEXT_KEY}=true (never deploy it).`,
    );
  }
}

export function loadDeployConfig(
  node: Pick<Node, 'tryGetContext'>,
  fs: { cwd: string; exists: (path: string) => boolean; resolve: (...parts: string[]) => string },
): LoadedConfig {
  const fromFile = (path: string, source: LoadedConfig['source']): LoadedConfig => {
    const input = readConfigDocument(path);
    return { config: parseDeployConfig(input, `deploy config ${path}`), input, source };
  };
  const file = node.tryGetContext(CONFIG_FILE_CONTEXT_KEY) as unknown;
  if (typeof file === 'string' && file.length > 0) return fromFile(fs.resolve(fs.cwd, file), 'context-file');
  const object = node.tryGetContext(CONFIG_OBJECT_CONTEXT_KEY) as unknown;
  if (object !== undefined)
    return {
      config: parseDeployConfig(object, `context ${CONFIG_OBJECT_CONTEXT_KEY}`),
      input: object,
      source: 'context-object',
    };
  const local = fs.resolve(fs.cwd, DEFAULT_CONFIG_FILE);
  if (fs.exists(local)) return fromFile(local, 'default-file');
  const example = node.tryGetContext(EXAMPLE_CONTEXT_KEY) as unknown;
  if (example === true || example === 'true') return fromFile(EXAMPLE_CONFIG_FILE, 'example');
  throw new ConfigMissingError();
}
