// The deployment's configuration, as the stack reads it: the system's one config (lib/system/config.ts).
export {
  configDocument,
  LOG_RETENTION_DAYS,
  parseDeployConfig,
  readConfigDocument,
  readDeployConfigFile,
  zDeployConfig,
  type ConfigDocument,
  type DeployConfig,
  type DeployConfigInput,
} from '../system/config.ts';
