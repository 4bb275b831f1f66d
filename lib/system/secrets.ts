// Secrets by reference: the config names a Secrets Manager secret, the run reads its value when it needs it.
import type { ConnectorsConfig } from '../connectors/config.ts';
import type { ReadSecret } from '../domain/ports.ts';
import type { DeployConnectors } from './config.ts';

/** A reader of Secrets Manager values, each read once per container. */
export function secretsManagerReader(client?: unknown): ReadSecret {
  const values = new Map<string, Promise<string>>();
  return (name) => {
    let value = values.get(name);
    if (!value) {
      value = (async () => {
        const { SecretsManagerClient, GetSecretValueCommand } =
          await import('@aws-sdk/client-secrets-manager');
        const sm =
          (client as InstanceType<typeof SecretsManagerClient> | undefined) ?? new SecretsManagerClient({});
        const out = await sm.send(new GetSecretValueCommand({ SecretId: name }));
        const text = out.SecretString?.trim();
        if (!text) throw new Error(`secret ${name} has no string value`);
        return text;
      })();
      value.catch(() => values.delete(name));
      values.set(name, value);
    }
    return value;
  };
}

/** The connectors' config as their code takes it: each named secret read and put in its place. */
export async function resolveConnectors(
  deployed: DeployConnectors,
  readSecret: ReadSecret,
): Promise<ConnectorsConfig> {
  const { slurm, kubernetes, ...rest } = deployed;
  const resolved: ConnectorsConfig = { ...rest };
  if (slurm) {
    const { tokenSecretName, ...fields } = slurm;
    resolved.slurm = { ...fields, token: await readSecret(tokenSecretName) };
  }
  if (kubernetes) {
    const { tokenSecretName, ...fields } = kubernetes;
    resolved.kubernetes = {
      ...fields,
      ...(tokenSecretName ? { token: await readSecret(tokenSecretName) } : {}),
    };
  }
  return resolved;
}

/** Every secret name the config refers to: the stack grants reading these and no other. */
export function connectorSecretNames(deployed: DeployConnectors | undefined): string[] {
  return [deployed?.slurm?.tokenSecretName, deployed?.kubernetes?.tokenSecretName].filter(
    (name): name is string => name !== undefined,
  );
}
