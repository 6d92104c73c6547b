/**
 * The argv of plain OpenSSH as the baseline uses it: one multiplexed master per Pi
 * (ControlMaster/ControlPersist), so every command after the first rides an open connection as
 * PiRack's pool does. Host key checking is off only because the lab's Pis are throwaway machines
 * whose keys change with every fresh lab; the known_hosts file is the bench's own temp file.
 */

export interface OpenSshConfig {
  readonly user: string;
  readonly port: number;
  /** Private key for key logins. */
  readonly keyFile: string;
  /** Directory for the master sockets; keep it short (a socket path is at most 108 bytes). */
  readonly controlDir: string;
  readonly knownHostsFile: string;
  readonly connectTimeoutS: number;
  readonly persistS: number;
  /** Bootstrap password file for first contact (sshpass -f). */
  readonly passwordFile?: string;
}

function commonOptions(cfg: OpenSshConfig): string[] {
  return [
    '-p',
    String(cfg.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    `UserKnownHostsFile=${cfg.knownHostsFile}`,
    '-o',
    `ConnectTimeout=${cfg.connectTimeoutS}`,
    '-o',
    'LogLevel=ERROR',
  ];
}

/** `ssh … user@host command` over the Pi's master connection, key login only. */
export function sshKeyArgv(cfg: OpenSshConfig, host: string, command: string): [string, string[]] {
  return [
    'ssh',
    [
      ...commonOptions(cfg),
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      cfg.keyFile,
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${cfg.controlDir}/%C`,
      '-o',
      `ControlPersist=${cfg.persistS}s`,
      `${cfg.user}@${host}`,
      command,
    ],
  ];
}

/**
 * First contact with a fresh Pi: password login through sshpass, without a master (a persisting
 * master would keep sshpass waiting); the key it installs is what later commands log in with.
 */
export function sshPasswordArgv(cfg: OpenSshConfig, host: string, command: string): [string, string[]] {
  if (!cfg.passwordFile) throw new Error('sshPasswordArgv needs cfg.passwordFile');
  return [
    'sshpass',
    [
      '-f',
      cfg.passwordFile,
      'ssh',
      ...commonOptions(cfg),
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password,keyboard-interactive',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      `${cfg.user}@${host}`,
      command,
    ],
  ];
}

/**
 * Asks the master listening on `socket` to exit, so no ssh process outlives the bench. With the
 * socket named explicitly the host argument is only a placeholder; this also closes the masters
 * Ansible's own ssh runs left in their control path directory.
 */
export function sshExitArgv(socket: string): [string, string[]] {
  return ['ssh', ['-o', `ControlPath=${socket}`, '-O', 'exit', 'placeholder']];
}
