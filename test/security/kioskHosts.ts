/**
 * The hosts the kiosk suite stands up around the appliance:
 * - the "internet" page server (netnsPortal: a 198.18.x.x namespace address) serving the probe
 *   page the room opens, which reports what it could reach and takes its next step from the test;
 * - counting HTTP servers inside namespaces at chosen addresses: a stand-in cloud metadata
 *   service at 169.254.169.254, a private-range host, and a second internet host (the control:
 *   the kiosk must reach it). Each answers `<title>MARKER</title>` and counts the requests it
 *   got, by source address; GET /__hits from the test reads the count (not counted itself).
 */
import { createServer, type Server } from 'node:http';
import { createNetns, type Netns } from '../harness/netns.js';
import { serveFromNetns, type Portal } from '../support/netnsPortal.js';

const COUNTER = `
const http = require('node:http');
const [addr, marker] = process.argv.slice(1);
const hits = [];
http.createServer((req, res) => {
  if (req.url === '/__hits') return res.end(JSON.stringify(hits));
  hits.push({ from: req.socket.remoteAddress, url: req.url });
  res.writeHead(200, { 'content-type': 'text/html', 'access-control-allow-origin': '*' });
  res.end('<!doctype html><title>' + marker + '</title><p>' + marker);
}).listen(80, addr, () => console.log('ready'));
`;

export interface CountingHost {
  netns: Netns;
  url: string;
  marker: string;
  /** Requests it received (read from the test process over the veth). */
  hits(): Promise<Array<{ from: string; url: string }>>;
}

export async function countingHost(role: string, marker: string, subnet?: { host: string; ns: string; prefix: number }): Promise<CountingHost> {
  const netns = await createNetns(role, subnet ? { subnet } : {});
  const child = netns.spawn([process.execPath, '-e', COUNTER, netns.address, marker]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} server did not start`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(timer), resolve()));
    child.once('exit', (c) => (clearTimeout(timer), reject(new Error(`${role} server exited (${c})`))));
  });
  const url = `http://${netns.address}/`;
  return { netns, url, marker, hits: async () => (await (await fetch(`${url}__hits`)).json()) as Array<{ from: string; url: string }> };
}

export interface ProbeTarget {
  name: string;
  url: string;
}

export type Step = { do: 'navigate'; url: string } | { do: 'close' } | { do: 'stay' };

/** The probe page's server: reports in, steps out (one queue per tag). */
export interface ProbeServer {
  portal: Portal;
  url(path: string): string;
  reports(tag: string): Array<Record<string, unknown>>;
  /** The next thing the page with this tag does when it (re)loads or polls. */
  push(tag: string, step: Step): void;
  close(): Promise<void>;
}

// Laid out for a 1280x720 kiosk: a big file input, a text field, and the report plumbing.
export const FILE_INPUT = { left: 100, top: 300, width: 500, height: 120 };
export const TEXT_FIELD = { left: 700, top: 300, width: 400, height: 80 };

function probePage(tag: string, targets: ProbeTarget[]): string {
  return `<!doctype html><meta charset="utf-8"><title>probe ${tag}</title>
<style>html,body{margin:0;height:100%;background:#fff}</style>
<input id="file" type="file" style="position:absolute;left:${FILE_INPUT.left}px;top:${FILE_INPUT.top}px;width:${FILE_INPUT.width}px;height:${FILE_INPUT.height}px;font-size:40px">
<input id="text" autocomplete="off" style="position:absolute;left:${TEXT_FIELD.left}px;top:${TEXT_FIELD.top}px;width:${TEXT_FIELD.width}px;height:${TEXT_FIELD.height}px;font-size:40px">
<script>
const tag = ${JSON.stringify(tag)};
const targets = ${JSON.stringify(targets)};
// keepalive: a report sent just before the page navigates or closes itself still arrives.
const report = (e) => fetch('/report/' + tag, { method: 'POST', body: JSON.stringify(e), keepalive: true }).catch(() => {});
addEventListener('keydown', (e) => report({ type: 'keydown', key: e.key, ctrl: e.ctrlKey, shift: e.shiftKey }));
addEventListener('beforeprint', () => report({ type: 'beforeprint' }));
document.getElementById('file').addEventListener('click', () => report({ type: 'fileclick' }));
document.getElementById('file').addEventListener('change', () => report({ type: 'filechange' }));
async function probe(t) {
  const ctl = new AbortController(); const timer = setTimeout(() => ctl.abort(), 5000);
  try { await fetch(t.url, { mode: 'no-cors', cache: 'no-store', signal: ctl.signal }); return 'reached'; }
  catch (e) { return ctl.signal.aborted ? 'timeout' : 'refused'; }
  finally { clearTimeout(timer); }
}
function frame(t) {
  return new Promise((resolve) => { const f = document.createElement('iframe'); f.style.display = 'none'; f.src = t.url; f.onload = () => resolve(); setTimeout(resolve, 5000); document.body.append(f); });
}
(async () => {
  report({ type: 'loaded', href: location.href });
  const results = {};
  await Promise.all(targets.map(async (t) => { results[t.name] = await probe(t); await frame(t); }));
  report({ type: 'probes', results });
  document.getElementById('text').focus();
  for (;;) {
    const step = await (await fetch('/next/' + tag, { cache: 'no-store' })).json().catch(() => ({ do: 'stay' }));
    if (step.do === 'navigate') { await report({ type: 'leaving', url: step.url }); location.href = step.url; return; }
    if (step.do === 'close') { await report({ type: 'closing' }); window.close(); return; }
    await new Promise((r) => setTimeout(r, 300));
  }
})();
</script>`;
}

export async function startProbeServer(targetsOf: (tag: string) => ProbeTarget[]): Promise<ProbeServer> {
  const reports = new Map<string, Array<Record<string, unknown>>>();
  const steps = new Map<string, Step[]>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, kind, tag = ''] = url.pathname.split('/');
    if (req.method === 'POST' && kind === 'report') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        try {
          const list = reports.get(tag) ?? [];
          list.push({ ...JSON.parse(body), at: Date.now() });
          reports.set(tag, list);
        } catch {
          // ignore
        }
        res.writeHead(204).end();
      });
      return;
    }
    if (kind === 'next') {
      const step = steps.get(tag)?.shift() ?? { do: 'stay' };
      return void res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(step));
    }
    if (kind === 'probe') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(probePage(tag, targetsOf(tag)));
    if (kind === 'page') return void res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(`<!doctype html><title>page ${tag}</title><p>${tag}`);
    res.writeHead(404).end();
  });
  const portal = await serveFromNetns(server, 'internet');
  return {
    portal,
    url: (path) => portal.origin + path,
    reports: (tag) => reports.get(tag) ?? [],
    push: (tag, step) => steps.set(tag, [...(steps.get(tag) ?? []), step]),
    close: () => portal.close(),
  };
}
