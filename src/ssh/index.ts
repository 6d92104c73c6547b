/** The SSH layer's public surface; the rest of PiRack imports from here. */
export type { ExecOptions, ExecResult, ExecStream, SshRunner, SshStreamer, SshTarget, StreamEnd, StreamOptions } from './types.ts';
export { createSshPool, type BootstrapCredentials, type SshPool, type SshPoolOptions } from './pool.ts';
export {
  openHostKeyStore,
  HOST_KEYS_FILE,
  type HostKeyPin,
  type HostKeyQuarantine,
  type HostKeyRecord,
  type HostKeyStore,
  type HostKeyVerdict,
} from './hostkeys.ts';
export { Secret, readSecretFile } from './secret.ts';
export { shellCommand, shellQuote } from './quote.ts';
export { DEFAULT_RECONNECT_BACKOFF } from './backoff.ts';
export type { BackoffPolicy } from '../util/backoff.ts';
export type { SshConnectFactory } from './connect.ts';
