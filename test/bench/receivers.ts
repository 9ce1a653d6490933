/**
 * Receive-only clients: they take a room's stream like a viewer would, and throw it away without
 * decoding (a 2-core machine cannot decode ten 1080p streams; the benchmark would measure that).
 * - fast path: a WebSocket to /api/rooms/ID/media that reads and discards every message;
 * - HLS: an HTTP client that polls the playlist and fetches each new segment once.
 */
import WebSocket from 'ws';

export interface Receivers {
  /** Bytes received so far by all clients. */
  bytes(): number;
  /** Clients currently taking the stream. */
  connected(): number;
  /** Distinct failures seen (first few). */
  problems(): string[];
  close(): Promise<void>;
}

function problemList() {
  const seen = new Set<string>();
  return {
    add: (p: string) => {
      if (seen.size < 8) seen.add(p);
    },
    list: () => [...seen],
  };
}

/** `tls.ca`: the CA a wss:// URL's certificate must chain to (the appliance's own). */
export function startWsReceivers(url: string, count: number, headers: Record<string, string>, tls: { ca?: Buffer | string } = {}): Receivers {
  let bytes = 0;
  let closing = false;
  const problems = problemList();
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { headers, ...(tls.ca ? { ca: tls.ca } : {}) });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      bytes += Array.isArray(data) ? data.reduce((s, b) => s + b.length, 0) : (data as Buffer).byteLength;
    });
    ws.on('unexpected-response', (_req, res) => {
      problems.add(`HTTP ${res.statusCode} on upgrade`);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (e) => problems.add(`error: ${e.message}`));
    ws.on('close', (code, reason) => {
      if (!closing) problems.add(`closed by the server: ${code} ${reason.toString()}`);
    });
    sockets.push(ws);
  }
  return {
    bytes: () => bytes,
    connected: () => sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
    problems: problems.list,
    async close() {
      closing = true;
      for (const s of sockets) s.terminate();
    },
  };
}

export function startHlsReceivers(playlistUrl: string, count: number): Receivers {
  let bytes = 0;
  let stopped = false;
  const problems = problemList();
  const live = new Set<number>();
  const loops: Promise<void>[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function client(n: number): Promise<void> {
    const seen = new Set<string>();
    // Spread the clients' polls over the interval, as independent viewers would.
    await sleep((n * 500) / Math.max(1, count));
    while (!stopped) {
      try {
        const res = await fetch(playlistUrl, { cache: 'no-store' });
        const text = await res.text();
        bytes += text.length;
        if (res.status !== 200) {
          problems.add(`playlist HTTP ${res.status}`);
          live.delete(n);
        } else {
          live.add(n);
          const target = Number(/#EXT-X-TARGETDURATION:(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? 1);
          const segments = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
          // A new client starts at the live edge, like a player: only the last segment.
          const fresh = seen.size === 0 ? segments.slice(-1) : segments.filter((s) => !seen.has(s));
          for (const s of segments) seen.add(s);
          for (const s of fresh) {
            if (stopped) break;
            const seg = await fetch(new URL(s, playlistUrl));
            const body = await seg.arrayBuffer();
            bytes += body.byteLength;
            if (seg.status !== 200) problems.add(`segment HTTP ${seg.status}`);
          }
          await sleep(Math.max(250, (target * 1000) / 2));
          continue;
        }
      } catch (e) {
        problems.add(`error: ${(e as Error).message}`);
        live.delete(n);
      }
      await sleep(500);
    }
  }
  for (let i = 0; i < count; i++) loops.push(client(i));
  return {
    bytes: () => bytes,
    connected: () => live.size,
    problems: problems.list,
    async close() {
      stopped = true;
      await Promise.race([Promise.all(loops), sleep(5000)]);
    },
  };
}
