// The config document in the table: one item per version, written at deploy, read and cached by every run.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PARTITION_KEY, SORT_KEY } from '../store/table.ts';
import { parseDeployConfig, type ConfigDocument, type DeployConfig } from './config.ts';

/** The config's partition: only the stack's deploy writes it; runs may read this partition and no other through it. */
export const CONFIG_PARTITION = 'CONFIG';
export const CONFIG_ITEM_KIND = 'deploy-config';
/** A DynamoDB item holds at most 400 KB; the document leaves room for its keys (about 1,300 pools). */
export const MAX_CONFIG_DOCUMENT_BYTES = 390 * 1024;

export interface ConfigItem {
  [PARTITION_KEY]: string;
  [SORT_KEY]: string;
  kind: string;
  document: string;
}

export function configItem(document: ConfigDocument): ConfigItem {
  const bytes = Buffer.byteLength(document.json);
  if (bytes > MAX_CONFIG_DOCUMENT_BYTES)
    throw new Error(
      `the config is ${Math.ceil(bytes / 1024)} KB; the table item that keeps it holds at most ${MAX_CONFIG_DOCUMENT_BYTES / 1024} KB`,
    );
  return {
    [PARTITION_KEY]: CONFIG_PARTITION,
    [SORT_KEY]: document.version,
    kind: CONFIG_ITEM_KIND,
    document: document.json,
  };
}

export class ConfigNotFoundError extends Error {
  constructor(tableName: string, version: string) {
    super(`no config version ${version} in table ${tableName}: redeploy the stack, which stores it`);
    this.name = 'ConfigNotFoundError';
  }
}

const cache = new Map<string, Promise<DeployConfig>>();

/**
 * The config of one version, validated as at synth; a version never changes, so it is read once per container.
 * A failed read is forgotten, so the next invocation tries again.
 */
export function readStoredConfig(
  client: Pick<DynamoDBDocumentClient, 'send'>,
  tableName: string,
  version: string,
): Promise<DeployConfig> {
  const key = `${tableName}/${version}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = (async () => {
      const out = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { [PARTITION_KEY]: CONFIG_PARTITION, [SORT_KEY]: version },
          ConsistentRead: true,
        }),
      );
      const document = out.Item?.document;
      if (typeof document !== 'string') throw new ConfigNotFoundError(tableName, version);
      return parseDeployConfig(JSON.parse(document), `stored config ${version}`);
    })();
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
  }
  return pending;
}
