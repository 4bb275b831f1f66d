// The flags of every command that reads the DynamoDB table, and the client they name.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { stringFlag, UsageError, type CommandIo, type FlagSpec } from './command.ts';

/** The flags tableClientFromFlags reads, for every command that reads the table. */
export const TABLE_FLAGS: Record<'table' | 'endpoint' | 'region', FlagSpec> = {
  table: {
    type: 'string',
    description: 'DynamoDB table (default: $GPU_OPTIMIZER_TABLE)',
    valueName: 'name',
  },
  endpoint: {
    type: 'string',
    description: 'DynamoDB endpoint (default: $AWS_ENDPOINT_URL_DYNAMODB)',
    valueName: 'url',
  },
  region: { type: 'string', description: 'AWS region (default: $AWS_REGION)', valueName: 'region' },
};

/** A document client for the table the flags or the environment name (a local engine through its endpoint). */
export function tableClientFromFlags(flags: Record<string, unknown>, io: CommandIo) {
  const tableName = stringFlag(flags, 'table') ?? io.env.GPU_OPTIMIZER_TABLE;
  if (!tableName) throw new UsageError('--table (or GPU_OPTIMIZER_TABLE) names the DynamoDB table to read');
  const endpoint = stringFlag(flags, 'endpoint') ?? io.env.AWS_ENDPOINT_URL_DYNAMODB;
  const config: DynamoDBClientConfig = {
    region: stringFlag(flags, 'region') ?? io.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
  };
  // A local engine accepts any key; without one in the environment the SDK would refuse to sign.
  if (endpoint && !io.env.AWS_ACCESS_KEY_ID)
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  return { tableName, client: DynamoDBDocumentClient.from(new DynamoDBClient(config)) };
}
