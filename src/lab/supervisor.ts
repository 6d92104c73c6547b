/**
 * A lab Pi reboots the way a real one does. `systemctl reboot` or `reboot -f` inside a container
 * makes systemd-nspawn exit with 133, and on a host with systemd `systemd-nspawn@.service` starts
 * it again (`RestartForceExitStatus=133`). The lab has no such unit, so each Pi's nspawn runs under
 * a small shell loop that does the same: 133 starts the Pi again, any other exit ends the loop.
 * It is bounded like systemd's start limit (at most RESTART_BURST restarts within
 * RESTART_WINDOW_S seconds, then the Pi stays off), and power-off and `lab down` stop it first
 * (see powerOffPi), so a power cut never turns into a reboot.
 *
 * A shell rather than a Node.js process: a 48-Pi benchmark lab would otherwise hold 48 Node.js
 * heaps just to wait. After a restart the loop redoes, from the host, what the first boot's
 * Node.js code does (the Pi's own /sys/class/net and its thermal stand-in), with the same scripts.
 */

/** Restarts allowed within RESTART_WINDOW_S before the loop gives up (systemd's StartLimitBurst). */
export const RESTART_BURST = 5;
export const RESTART_WINDOW_S = 60;
/** systemd-nspawn's exit status when the container asked to be rebooted. */
export const NSPAWN_REBOOT_EXIT = 133;

/**
 * Inside the Pi (mount + net namespaces of its PID 1): a sysfs mounted from the Pi's own network
 * namespace, bound over the host's net directories (see ownNetSysfs in pi.ts).
 */
export const NET_SYSFS_SCRIPT =
  'mkdir -p /run/pirack-netns-sysfs && mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /run/pirack-netns-sysfs' +
  ' && mount --bind /run/pirack-netns-sysfs/class/net /sys/class/net && mount --bind /run/pirack-netns-sysfs/devices/virtual/net /sys/devices/virtual/net';

// $1 net-sysfs script, $2 sensors script, $3 count of cgroup dirs, then the dirs, then the argv.
// postboot runs beside a restarted nspawn: it finds the container's PID 1 among the loop's
// descendants (innermost NSpid 1), waits for systemd to exec, then enters it.
const LOOP = `
sysfs=$1; sensors=$2; shift 2
n=$1; shift
while [ "$n" -gt 0 ]; do echo $$ > "$1/cgroup.procs"; shift; n=$((n-1)); done
postboot() {
  init=; i=0
  while [ -z "$init" ] && [ $i -lt 300 ]; do
    for p in $(cat /proc/$$/task/*/children 2>/dev/null); do
      for c in $p $(cat /proc/$p/task/*/children 2>/dev/null); do
        for g in $c $(cat /proc/$c/task/*/children 2>/dev/null); do
          case "$(sed -n 's/^NSpid:[[:space:]]*//p' /proc/$g/status 2>/dev/null)" in *[!0-9]1) init=$g;; esac
        done
      done
    done
    [ -n "$init" ] || sleep 0.05; i=$((i+1))
  done
  [ -n "$init" ] || return 0
  i=0
  while [ "$(cat /proc/$init/comm 2>/dev/null)" != systemd ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done
  nsenter -t "$init" -m -n /bin/sh -c "$sysfs" || true
  nsenter -t "$init" -m /bin/sh -c "$sensors" || true
}
boots=0; window=$(date +%s); recent=0; pb=
while :; do
  if [ $boots -gt 0 ]; then postboot & pb=$!; fi
  "$@"; rc=$?
  if [ -n "$pb" ]; then kill $pb 2>/dev/null; wait $pb 2>/dev/null; pb=; fi
  [ $rc -eq ${NSPAWN_REBOOT_EXIT} ] || exit $rc
  now=$(date +%s)
  if [ $((now - window)) -ge ${RESTART_WINDOW_S} ]; then window=$now; recent=0; fi
  recent=$((recent+1))
  if [ $recent -gt ${RESTART_BURST} ]; then echo "pirack lab: rebooted more than ${RESTART_BURST} times in ${RESTART_WINDOW_S} s: left off" >&2; exit $rc; fi
  boots=$((boots+1))
  echo "pirack lab: the Pi rebooted (exit $rc): starting it again (boot $((boots+1)))" >&2
done
`;

/**
 * The argv for /bin/sh that joins `cgroups`, then runs `file args…` in the reboot loop. The PID
 * recorded for the shell is the loop's: signalling it stops the restarts, not the Pi.
 */
export function supervisedArgv(cgroups: readonly string[], file: string, args: readonly string[], sensorsScript: string): string[] {
  return ['-c', LOOP, 'sh', NET_SYSFS_SCRIPT, sensorsScript, String(cgroups.length), ...cgroups, file, ...args];
}
