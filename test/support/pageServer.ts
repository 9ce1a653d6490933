/**
 * Pages that rooms open in tests, served from an "internet" host: a network namespace's
 * address (netnsPortal.ts), since the rooms' browsers may not reach any address of this
 * machine, loopback included. Pages report what they receive by POSTing to /report/:tag;
 * tests read the reports back.
 */
import { createServer, type Server } from 'node:http';
import { serveFromNetns } from './netnsPortal.js';

/** A page that animates and plays a 440 Hz tone (autoplay is allowed in the room's kiosk). */
const TONE_PAGE = `<!doctype html><meta charset="utf-8"><title>tone</title>
<style>html,body{margin:0;height:100%;overflow:hidden}canvas{display:block;width:100vw;height:100vh}</style>
<canvas id="c"></canvas>
<script>
const c = document.getElementById('c'), g = c.getContext('2d');
function draw(t) {
  c.width = innerWidth; c.height = innerHeight;
  g.fillStyle = 'hsl(' + (t / 10 % 360) + ',80%,50%)'; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#fff'; g.font = '80px sans-serif'; g.fillText(new Date().toISOString(), 100, 200);
  g.fillRect((t / 2) % c.width, 400, 200, 200);
  requestAnimationFrame(draw);
}
requestAnimationFrame(draw);
const ac = new AudioContext(); const o = ac.createOscillator(); const gain = ac.createGain();
o.frequency.value = 440; gain.gain.value = 0.5; o.connect(gain).connect(ac.destination); o.start();
setInterval(() => { if (ac.state !== 'running') ac.resume(); }, 500);
</script>`;

/**
 * A page with buttons at known places and a text field; it reports clicks (with coordinates),
 * wheel turns and the field's text. Layout in CSS pixels of a 1920x1080 kiosk window.
 */
export const INPUT_BUTTONS = [
  { id: 'b1', left: 200, top: 150, width: 300, height: 150 },
  { id: 'b2', left: 1400, top: 150, width: 300, height: 150 },
  { id: 'b3', left: 800, top: 800, width: 300, height: 150 },
];
export const INPUT_FIELD = { left: 700, top: 450, width: 500, height: 80 };

function inputPage(tag: string): string {
  const buttons = INPUT_BUTTONS.map((b) => `<button id="${b.id}" style="position:absolute;left:${b.left}px;top:${b.top}px;width:${b.width}px;height:${b.height}px;font-size:40px">${b.id}</button>`).join('');
  const f = INPUT_FIELD;
  return `<!doctype html><meta charset="utf-8"><title>input</title>
<style>html,body{margin:0;height:100%;background:#eee;overflow:hidden}</style>
${buttons}
<input id="field" autocomplete="off" style="position:absolute;left:${f.left}px;top:${f.top}px;width:${f.width}px;height:${f.height}px;font-size:40px">
<script>
const report = (e) => fetch('/report/${tag}', { method: 'POST', body: JSON.stringify(e) });
document.querySelectorAll('button').forEach((b) => b.addEventListener('click', (ev) => report({ type: 'click', id: b.id, x: ev.clientX, y: ev.clientY })));
document.addEventListener('mousedown', (ev) => report({ type: 'mousedown', x: ev.clientX, y: ev.clientY, button: ev.button }));
document.addEventListener('wheel', (ev) => report({ type: 'wheel', dy: Math.sign(ev.deltaY) }));
const field = document.getElementById('field');
field.addEventListener('input', () => report({ type: 'text', value: field.value }));
field.focus();
report({ type: 'loaded', w: innerWidth, h: innerHeight });
</script>`;
}

/**
 * The clipboard page (test/browser/clipboard.test.ts), in fractions of the kiosk window: a Copy
 * button that puts `text` on the session's clipboard (select + execCommand('copy'), which needs
 * the click's user activation and no secure context), and a field that reports each click on it
 * and what is typed or pasted into it.
 */
export const COPY_BUTTON = { x: 0.2, y: 0.2 };
export const PASTE_FIELD = { x: 0.5, y: 0.6 };

function copyPage(tag: string, text: string): string {
  return `<!doctype html><meta charset="utf-8"><title>clipboard</title>
<style>html,body{margin:0;height:100%;background:#eee;overflow:hidden;font:32px sans-serif}
#copy{position:absolute;left:10%;top:10%;width:20%;height:20%;font-size:40px}
#source{position:absolute;left:40%;top:15%;width:50%;font-size:28px}
#field{position:absolute;left:20%;top:55%;width:60%;height:10%;font-size:36px}</style>
<button id="copy">Copy</button><input id="source" readonly>
<input id="field" autocomplete="off" placeholder="paste here">
<script>
const report = (e) => fetch('/report/${tag}', { method: 'POST', body: JSON.stringify(e) });
const source = document.getElementById('source');
source.value = ${JSON.stringify(text)};
document.getElementById('copy').addEventListener('click', () => {
  source.select();
  report({ type: 'copied', ok: document.execCommand('copy') });
});
const field = document.getElementById('field');
field.addEventListener('input', () => report({ type: 'text', value: field.value }));
field.addEventListener('mousedown', () => report({ type: 'clicked' }));
report({ type: 'loaded', w: innerWidth, h: innerHeight });
</script>`;
}

export interface PageServer {
  origin: string;
  url(path: string): string;
  reports(tag: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startPageServer(): Promise<PageServer> {
  const reports = new Map<string, Array<Record<string, unknown>>>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname.startsWith('/report/')) {
      const tag = url.pathname.slice('/report/'.length);
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        try {
          if (!reports.has(tag)) reports.set(tag, []);
          reports.get(tag)!.push(JSON.parse(body));
        } catch {
          // ignore malformed reports
        }
        res.writeHead(204).end();
      });
      return;
    }
    const tag = url.searchParams.get('tag') ?? 'input';
    const html = url.pathname === '/tone' ? TONE_PAGE : url.pathname === '/input' ? inputPage(tag) : url.pathname === '/copy' ? copyPage(tag, url.searchParams.get('text') ?? '') : null;
    if (!html) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  });
  const portal = await serveFromNetns(server, 'pages');
  const origin = portal.origin;
  return {
    origin,
    url: (path) => origin + path,
    reports: (tag) => reports.get(tag) ?? [],
    close: () => portal.close(),
  };
}
