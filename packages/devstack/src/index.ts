export { freePort, freePorts, isListening, isPortFree } from './ports';
export { repoRoot } from './paths';
export { startNats, findNatsServer, type NatsHandle, type NatsOptions } from './nats';
export {
  startPostgres,
  ensureDatabase,
  ensureServiceDatabase,
  serviceRolePassword,
  postgresUrl,
  POSTGRES_USER,
  POSTGRES_PASSWORD,
  type PostgresHandle,
  type PostgresOptions,
  type ServiceDatabase,
} from './postgres';
export {
  startSmtpSink,
  type SinkMessage,
  type SmtpSinkHandle,
  type SmtpSinkOptions,
  type WaitForMessagesOptions,
} from './smtp-sink';
export {
  DEFAULT_RESTART_POLICY,
  describeExit,
  RestartBackoff,
  SERVICES,
  SERVICE_NAMES,
  serviceEntry,
  startService,
  type RestartPolicy,
  type ServiceExit,
  type ServiceHandle,
  type ServiceInfo,
  type ServiceName,
  type StartServiceOptions,
} from './services';
export { freeStackPorts, type RestartOptions, startStack, type StackHandle, type StackPorts, type StartStackOptions } from './stack';
export { guardChild } from './process-guard';
export {
  startNatsCluster,
  type NatsClusterHandle,
  type NatsClusterNode,
  type NatsClusterOptions,
} from './nats-cluster';
