// Lambda door of the sync-config run: invoked at each deploy that stores a new config; the config's pools and classes into the table.
import { openDoor } from '../lib/system/door.ts';
import { syncConfig, type SyncConfigResult } from '../lib/runs/sync-config.ts';

const door = openDoor('syncConfig');

export async function syncConfigHandler(_event: unknown): Promise<SyncConfigResult> {
  const { config, assembly } = await door.system();
  const result = await syncConfig(
    { store: await assembly.store(), log: door.log },
    door.entry.options(config),
  );
  for (const warning of result.warnings) door.logger.warn(warning);
  return result;
}

export const handler = door.wrap(syncConfigHandler);
