/** Server-Sent Events framing. JSON.stringify never emits a newline, so each payload is one `data:` line. */

export function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A comment line: ignored by EventSource, but keeps proxies and NAT from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/\n/g, ' ')}\n\n`;
}

/** The sequence number to resume after: `Last-Event-ID` (EventSource reconnects) wins over `?after=`. */
export function resumeAfter(lastEventId: unknown, after: unknown): number | undefined {
  for (const raw of [lastEventId, after]) {
    if (typeof raw === 'string' && /^\d{1,15}$/.test(raw.trim())) return Number(raw.trim());
  }
  return undefined;
}
