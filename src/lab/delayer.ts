/**
 * Network delay without netem. This kernel is built without sch_netem (`tc qdisc add … netem`
 * answers "Specified qdisc kind is unknown"), so the delay fault queues the Pi's outgoing packets
 * to NFQUEUE (an iptables rule inside the Pi's namespace) and this small Python program, running
 * in the same namespace, gives each one its verdict `delayMs` later. The rule uses
 * --queue-bypass: if the program dies, packets flow again rather than being dropped.
 */

/** Python 3 (stdlib only): argv = queue number, delay in ms, maximum lifetime in seconds. */
export const DELAYER_PY = String.raw`
import os, select, socket, struct, sys, time
queue, delay, lifetime = int(sys.argv[1]), int(sys.argv[2]) / 1000.0, float(sys.argv[3])
NETLINK_NETFILTER, SUBSYS_QUEUE = 12, 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = 0, 1, 2
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((0, 0))
seq = 0
def attr(kind, data):
    n = 4 + len(data)
    return struct.pack('=HH', n, kind) + data + b'\0' * ((4 - n % 4) % 4)
def send(msg, family, payload):
    global seq
    seq += 1
    body = struct.pack('!BBH', family, 0, queue) + payload
    s.send(struct.pack('=IHHII', 16 + len(body), (SUBSYS_QUEUE << 8) | msg, 1, seq, 0) + body)
send(MSG_CONFIG, 0, attr(1, struct.pack('!BBH', 1, 0, socket.AF_INET)))   # CMD_BIND
send(MSG_CONFIG, 0, attr(2, struct.pack('!IB', 0, 1)))                    # COPY_META
pending = []
end = time.monotonic() + lifetime
while time.monotonic() < end:
    now = time.monotonic()
    while pending and pending[0][0] <= now:
        _, pid = pending.pop(0)
        send(MSG_VERDICT, 0, attr(2, struct.pack('!II', 1, pid)))         # NF_ACCEPT
    timeout = max(0.0, min(1.0, pending[0][0] - now)) if pending else 1.0
    if not select.select([s], [], [], timeout)[0]:
        continue
    data = s.recv(1 << 20)
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, off)
        if length < 16:
            break
        if kind == (SUBSYS_QUEUE << 8) | MSG_PACKET:
            a = off + 20
            while a + 4 <= off + length:
                alen, atype = struct.unpack_from('=HH', data, a)
                if alen < 4:
                    break
                if atype & 0x3fff == 1:                                     # PACKET_HDR
                    pending.append((time.monotonic() + delay, struct.unpack_from('!I', data, a + 4)[0]))
                a += (alen + 3) & ~3
        off += (length + 3) & ~3
`;

/** The iptables rule (argv after `iptables`) that sends the Pi's outgoing packets to the delayer. */
export function delayRule(action: '-A' | '-D', queue = 0): string[] {
  return [action, 'OUTPUT', '-j', 'NFQUEUE', '--queue-num', String(queue), '--queue-bypass'];
}

/** The iptables rule that drops `percent` % of the packets the Pi receives (netem loss's stand-in). */
export function lossRule(action: '-A' | '-D', percent: number): string[] {
  return [action, 'INPUT', '-m', 'statistic', '--mode', 'random', '--probability', (percent / 100).toFixed(2), '-j', 'DROP'];
}
