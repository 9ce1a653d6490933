/**
 * The reference pipeline the fast path is compared against (issue 10): a bare WebRTC path on the
 * host, x11grab → x264 (the room encoder's settings: ultrafast, zerolatency, baseline, the same
 * GOP and bitrate) → RTP (`ffmpeg -f rtp` to a loopback UDP port) → a werift 0.22 peer per viewer
 * → Chromium. It has its own Xvfb display and a kiosk Chromium showing the same clock page
 * (clockPage.ts), so the viewer decodes the same time code as on the room's paths.
 *
 * Signalling is a tiny HTTP server on the host side of the viewer's namespace link (the viewer's
 * browser is in that namespace): GET / is a page that does RTCPeerConnection and plays the track
 * in a <video> (viewerScript.ts hooks the first `video`); POST /offer makes a werift peer and
 * returns its offer, POST /answer/ID takes the browser's answer. werift gathers host candidates on
 * that one address only (iceInterfaceAddresses, no STUN server: werift's default is Google's), and
 * the browser's own candidates are kept only if they are the namespace's address (its mDNS names
 * would make werift send multicast DNS on the host's networks); ICE then also finds the browser
 * as a peer-reflexive candidate. A peer that sends no RTCP for a few seconds is dropped (werift
 * keeps sending to a vanished browser). close() stops every process by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { CHROMIUM } from '../harness/browser.js';
import type { Netns } from '../harness/netns.js';
import { SCREEN } from './clockPage.js';
import { firstFrame, type Viewer } from './measures.js';
import { failed, hostLoad, log, ms, percentile, record, sleep } from './report.js';
import { stageRows, type StageRecord, type StageState } from './stages.js';
import { VIEWER_SCRIPT, type BenchState } from './viewerScript.js';

/** A peer without RTCP from its browser for this long is gone. */
const RTCP_TIMEOUT_MS = 5000;
/** A peer that has not connected this long after its offer is given up. */
const CONNECT_TIMEOUT_MS = 20_000;

export interface BaselineOptions {
  clockUrl: string;
  /** The host side of the viewer's namespace link: the page and werift's candidates are there. */
  bindAddress: string;
  /** The namespace side: the only remote address ICE may pair with. */
  peerAddress: string;
  fps: number;
  keyframeInterval: number;
  bitrateKbps: number;
}

export interface WebrtcBaseline {
  /** The viewer page (http://bindAddress:PORT/). */
  url: string;
  /** Peers now connected, peers dropped for silence, and the encoder's last words. */
  status(): string;
  /** Between its windows the pipeline rests (encoder stopped, kiosk SIGSTOPped): two 1080p pipelines and a decoding viewer saturate 2 cores. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

interface Peer {
  pc: RTCPeerConnection;
  track: MediaStreamTrack;
  createdAt: number;
  lastRtcp: number;
  connected: boolean;
}

const pageHtml = `<!doctype html><meta charset="utf-8"><title>webrtc baseline</title>
<style>html,body{margin:0;height:100%;background:#000}video{width:100%;height:100%;object-fit:contain;display:block}</style>
<video autoplay muted playsinline></video>
<script>
(async () => {
  const video = document.querySelector('video');
  const pc = new RTCPeerConnection();
  window.__pc = pc;
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); video.play().catch(() => {}); };
  const offer = await (await fetch('/offer', { method: 'POST' })).json();
  await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
    setTimeout(r, 2000);
  });
  const res = await fetch('/answer/' + offer.id, { method: 'POST', body: pc.localDescription.sdp });
  if (!res.ok) throw new Error('answer: HTTP ' + res.status);
})().catch((e) => { document.title = 'error: ' + e; });
</script>`;

function freeDisplay(): number {
  for (let n = 91; n < 200; n++) if (!existsSync(`/tmp/.X${n}-lock`) && !existsSync(`/tmp/.X11-unix/X${n}`)) return n;
  throw new Error('no free X display number');
}

function stopPid(p: ChildProcess | undefined, group = false): Promise<void> {
  if (!p || p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  const pid = p.pid;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // gone
    }
  };
  kill('SIGTERM');
  return Promise.race([exited, sleep(3000).then(() => kill('SIGKILL'))]).then(() => undefined);
}

function tail(buf: { text: string }, p: ChildProcess): void {
  p.stderr?.on('data', (d: Buffer) => {
    buf.text = (buf.text + d.toString()).slice(-2000);
  });
}

export async function startWebrtcBaseline(o: BaselineOptions): Promise<WebrtcBaseline> {
  const held = Object.values(networkInterfaces()).flat().some((a) => a?.address === o.bindAddress);
  if (!held) throw new Error(`no interface holds ${o.bindAddress}`);
  const display = freeDisplay();
  const profile = await mkdtemp(join(tmpdir(), 'sbx-bench-webrtc-'));
  const procs: Array<{ p: ChildProcess; group: boolean }> = [];
  const peers = new Map<string, Peer>();
  let dropped = 0;
  let rtpPackets = 0;
  const ffLog = { text: '' };
  let udp: Socket | undefined;
  let server: Server | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const closers: Array<() => Promise<void>> = [];

  async function close(): Promise<void> {
    if (sweep) clearInterval(sweep);
    for (const [id, peer] of peers) {
      peers.delete(id);
      await peer.pc.close().catch(() => undefined);
    }
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server!.close(() => r()));
    }
    udp?.close();
    for (const c of closers) await c();
    for (const { p, group } of procs.reverse()) await stopPid(p, group);
    await rm(profile, { recursive: true, force: true });
  }

  try {
    // 1. The display and the kiosk showing the clock page, as the room's units do.
    const xvfb = spawn('Xvfb', [`:${display}`, '-screen', '0', `${SCREEN.width}x${SCREEN.height}x24`, '-nolisten', 'tcp', '-noreset'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push({ p: xvfb, group: false });
    const xLog = { text: '' };
    tail(xLog, xvfb);
    for (let i = 0; !existsSync(`/tmp/.X11-unix/X${display}`); i++) {
      if (xvfb.exitCode !== null || i > 100) throw new Error(`Xvfb :${display} did not start: ${xLog.text}`);
      await sleep(100);
    }
    const kiosk = spawn(
      CHROMIUM,
      ['--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--kiosk', '--autoplay-policy=no-user-gesture-required', `--window-size=${SCREEN.width},${SCREEN.height}`, '--window-position=0,0', `--user-data-dir=${profile}`, o.clockUrl],
      { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, DISPLAY: `:${display}` }, detached: true }, // its own process group: its helpers go with it
    );
    procs.push({ p: kiosk, group: true });
    await sleep(4000); // the kiosk's first paint

    // 2. RTP in on loopback, one werift track per peer.
    udp = createSocket('udp4');
    udp.on('message', (msg) => {
      rtpPackets++;
      for (const peer of peers.values()) if (peer.connected) peer.track.writeRtp(msg);
    });
    await new Promise<void>((r) => udp!.bind(0, '127.0.0.1', () => r()));
    const rtpPort = (udp.address() as AddressInfo).port;
    const kbps = `${o.bitrateKbps}k`;
    const startEncoder = async (): Promise<ChildProcess> => {
    const packets0 = rtpPackets;
    const ffmpeg = spawn(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-thread_queue_size', '64', '-f', 'x11grab', '-draw_mouse', '0', '-framerate', String(o.fps), '-video_size', `${SCREEN.width}x${SCREEN.height}`, '-i', `:${display}`,
        '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
        '-g', String(o.keyframeInterval), '-keyint_min', String(o.keyframeInterval), '-sc_threshold', '0', '-b:v', kbps, '-maxrate', kbps, '-bufsize', kbps,
        '-f', 'rtp', '-payload_type', '96', '-pkt_size', '1200', `rtp://127.0.0.1:${rtpPort}`],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DISPLAY: `:${display}` } },
    );
    tail(ffLog, ffmpeg);
    const rtpBy = Date.now() + 10_000;
    while (rtpPackets === packets0) {
      if (ffmpeg.exitCode !== null || Date.now() > rtpBy) {
        await stopPid(ffmpeg);
        throw new Error(`ffmpeg sends no RTP: ${ffLog.text.trim().slice(-300)}`);
      }
      await sleep(100);
    }
    return ffmpeg;
    };
    let ffmpeg: ChildProcess | undefined = await startEncoder();
    const signalKiosk = (sig: NodeJS.Signals) => {
      try {
        process.kill(-kiosk.pid!, sig);
      } catch {
        // gone
      }
    };
    const pause = async () => {
      await stopPid(ffmpeg);
      ffmpeg = undefined;
      signalKiosk('SIGSTOP');
    };
    const resume = async () => {
      signalKiosk('SIGCONT');
      await sleep(500);
      ffmpeg ??= await startEncoder();
    };
    closers.push(async () => {
      signalKiosk('SIGCONT');
      await stopPid(ffmpeg);
    });

    // 3. Signalling, and the peers.
    const newPeer = async (): Promise<{ id: string; sdp: string }> => {
      const pc = new RTCPeerConnection({
        codecs: {
          video: [new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }], parameters: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' })],
          audio: [],
        },
        iceServers: [],
        iceUseIpv6: false,
        iceInterfaceAddresses: { udp4: o.bindAddress },
        iceFilterCandidatePair: (pair) => pair.remoteCandidate.host === o.peerAddress,
      });
      const track = new MediaStreamTrack({ kind: 'video' });
      const transceiver = pc.addTransceiver(track, { direction: 'sendonly' });
      const id = Math.random().toString(36).slice(2);
      const peer: Peer = { pc, track, createdAt: Date.now(), lastRtcp: Date.now(), connected: false };
      peers.set(id, peer);
      transceiver.sender.onRtcp.subscribe(() => (peer.lastRtcp = Date.now()));
      pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') {
          peer.connected = true;
          peer.lastRtcp = Date.now();
        }
        if (s === 'failed' || s === 'closed') drop(id);
      });
      await pc.setLocalDescription(await pc.createOffer());
      if (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.watch((s) => s === 'complete', 5000).catch(() => undefined);
      return { id, sdp: pc.localDescription!.sdp };
    };
    const drop = (id: string, why?: string) => {
      const peer = peers.get(id);
      if (!peer) return;
      peers.delete(id);
      if (why) {
        dropped++;
        log(`webrtc baseline: dropped peer ${id} (${why})`);
      }
      void peer.pc.close().catch(() => undefined);
    };
    sweep = setInterval(() => {
      const now = Date.now();
      for (const [id, p] of peers) {
        if (p.connected && now - p.lastRtcp > RTCP_TIMEOUT_MS) drop(id, `no RTCP for ${RTCP_TIMEOUT_MS / 1000} s`);
        else if (!p.connected && now - p.createdAt > CONNECT_TIMEOUT_MS) drop(id, 'never connected');
      }
    }, 1000);

    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body: Buffer[] = [];
      req.on('data', (d: Buffer) => body.push(d));
      req.on('end', () => {
        void (async () => {
          if (req.method === 'GET' && path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(pageHtml);
          if (req.method === 'POST' && path === '/offer') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await newPeer()));
          const m = /^\/answer\/([a-z0-9]+)$/.exec(path);
          const peer = m && peers.get(m[1]!);
          if (req.method === 'POST' && peer) {
            // Only candidates at the namespace's address: mDNS names would have werift query the host's networks.
            const sdp = Buffer.concat(body).toString().split(/\r?\n/).filter((l) => !l.startsWith('a=candidate:') || l.split(' ')[4] === o.peerAddress).join('\r\n');
            await peer.pc.setRemoteDescription({ type: 'answer', sdp });
            return void res.writeHead(204).end();
          }
          res.writeHead(404).end();
        })().catch((e: Error) => {
          if (!res.headersSent) res.writeHead(500).end(String(e.message));
        });
      });
    });
    await new Promise<void>((r) => server!.listen(0, o.bindAddress, () => r()));
    const port = (server.address() as AddressInfo).port;
    log(`webrtc baseline: Xvfb :${display}, kiosk (pids ${procs.map((x) => x.p.pid).join(', ')}), ffmpeg ${ffmpeg?.pid}, RTP on 127.0.0.1:${rtpPort}, page http://${o.bindAddress}:${port}/`);
    return {
      url: `http://${o.bindAddress}:${port}/`,
      status: () => `${[...peers.values()].filter((p) => p.connected).length} peer(s) connected, ${dropped} dropped for silence; ${rtpPackets} RTP packets in${ffmpeg && ffmpeg.exitCode !== null ? `; ffmpeg EXITED: ${ffLog.text.trim().slice(-200)}` : ''}`,
      pause,
      resume,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

// ------------------------------------------------------------------ side by side with the fast path

/** The baseline's page in the participant's browser, with the same frame decoder as the room page's viewers. */
export async function openWebrtcViewer(browser: Browser, baseline: WebrtcBaseline, viewport: { width: number; height: number }): Promise<Viewer> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript({ content: VIEWER_SCRIPT });
  const page = await context.newPage();
  const openedAt = Date.now();
  await page.goto(baseline.url);
  return {
    page,
    context,
    openedAt,
    used: async () => `webrtc (${baseline.status()})`,
    state: () => page.evaluate('window.__bench') as Promise<BenchState>,
    close: () => context.close(),
  };
}

/**
 * Alternating windows on one machine, same clock page, one decoding viewer at a time: the room
 * page's fast path (with the stage instrumentation in it) and the WebRTC baseline, `rounds` times
 * each (the order swapped every round). Records both paths' glass to glass over all their windows,
 * the ratio of the p50s, and the fast path's stages.
 */
export async function compareWithWebrtc(o: { rounds: number; windowMs: number; openFast: () => Promise<Viewer>; openWebrtc: () => Promise<Viewer>; webrtcStatus?: () => string; pauseWebrtc?: () => Promise<void>; resumeWebrtc?: () => Promise<void> }): Promise<void> {
  const delays: Record<'fast' | 'webrtc', number[]> = { fast: [], webrtc: [] };
  const busy: Record<'fast' | 'webrtc', string[]> = { fast: [], webrtc: [] };
  const traced = { records: [] as StageRecord[], shown: [] as Array<[number, number]>, unread: 0, readMs: 0, read: 0 };
  let shownOffset = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const kind of round % 2 === 0 ? (['fast', 'webrtc'] as const) : (['webrtc', 'fast'] as const)) {
      let v: Viewer | null = null;
      try {
        if (kind === 'webrtc') await o.resumeWebrtc?.();
        v = await (kind === 'fast' ? o.openFast() : o.openWebrtc());
        await firstFrame(v, 30_000);
        await sleep(4000); // settle at its live distance
        await v.page.evaluate('Object.assign(window.__bench, { delays: [], shown: [], collecting: true }); if (window.__stages) Object.assign(window.__stages, { records: [], unread: 0, readMs: 0, read: 0, on: true })');
        const load = hostLoad();
        await sleep(o.windowMs);
        const machineBusy = load();
        await v.page.evaluate('window.__bench.collecting = false; if (window.__stages) window.__stages.on = false');
        const s = await v.state();
        const d = [...s.delays].sort((a, b) => a - b);
        if (d.length === 0) throw new Error(`no decodable frame (${s.presented} presented, path: ${await v.used()})`);
        delays[kind].push(...d);
        busy[kind].push(machineBusy.replace('machine ', ''));
        record(kind, `  window ${round + 1}: p50 / p95`, `${ms(percentile(d, 50))} / ${ms(percentile(d, 95))}`, `${d.length} frames; ${machineBusy}${kind === 'webrtc' ? `; ${o.webrtcStatus?.() ?? ''}` : ''}`);
        if (kind === 'fast') {
          const st = (await v.page.evaluate('window.__stages')) as StageState | undefined;
          if (st) {
            traced.records.push(...st.records);
            traced.shown.push(...s.shown);
            traced.unread += st.unread;
            traced.readMs += st.readMs;
            traced.read += st.read;
            shownOffset++;
          }
        }
      } catch (e) {
        failed(kind, `  window ${round + 1}`, e);
      } finally {
        await v?.close().catch(() => undefined);
        if (kind === 'webrtc') await o.pauseWebrtc?.();
      }
    }
  }
  const summary = (kind: 'fast' | 'webrtc') => {
    const d = delays[kind].sort((a, b) => a - b);
    record(kind, `glass-to-glass, ${o.rounds} alternating windows: p50 / p95 / min`, d.length ? `${ms(percentile(d, 50))} / ${ms(percentile(d, 95))} / ${ms(d[0]!)}` : 'FAILED', `${d.length} frames; ${kind === 'fast' ? 'room page, WebCodecs over wss, stage instrumentation in' : 'x11grab → x264 → RTP → werift 0.22 → Chromium, same clock page'}; ${busy[kind].join(' | ')}`);
    return percentile(d, 50);
  };
  const fastP50 = summary('fast');
  const webrtcP50 = summary('webrtc');
  record('webrtc', 'fast-path p50 / WebRTC p50 (same run)', Number.isFinite(fastP50 / webrtcP50) ? `${(fastP50 / webrtcP50).toFixed(2)}x` : 'n/a', 'target ≤ 1.1x (issue 10)');
  if (shownOffset > 0) stageRows('stages', traced.records, traced.shown, traced.unread, traced.read ? traced.readMs / traced.read : NaN);
  else record('stages', 'per-stage times', 'FAILED', 'no fast-path window completed');
}

/** The room encoder's settings, from its env file (/etc/streambox/rooms/ID.env), for the baseline's ffmpeg. */
export function encoderSettings(envFile: string): Pick<BaselineOptions, 'fps' | 'keyframeInterval' | 'bitrateKbps'> {
  const get = (k: string) => {
    const v = Number(new RegExp(`^${k}=['"]?(\\d+)`, 'm').exec(envFile)?.[1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`the room's env file has no ${k}`);
    return v;
  };
  return { fps: get('ROOM_FPS'), keyframeInterval: get('ROOM_KEYFRAME_INTERVAL'), bitrateKbps: get('ROOM_VIDEO_BITRATE_KBPS') };
}

let running: WebrtcBaseline | undefined;

/** Stops the baseline if a section left it running (the benchmark's cleanup on a signal). */
export async function stopWebrtcBaseline(): Promise<void> {
  const b = running;
  running = undefined;
  await b?.close().catch((e: Error) => log(`webrtc baseline close: ${e.message}`));
}

/** The benchmark's section: starts the baseline beside the running room, compares, stops it. */
export async function webrtcSection(o: { roomEnv: string; clockUrl: string; ns: Netns; browser: Browser; viewport: { width: number; height: number }; rounds: number; windowMs: number; openFast: () => Promise<Viewer> }): Promise<void> {
  log('--- fast path vs bare WebRTC (alternating windows), fast-path stages ---');
  try {
    const enc = encoderSettings(o.roomEnv);
    const bl = (running = await startWebrtcBaseline({ clockUrl: o.clockUrl, bindAddress: o.ns.hostAddress, peerAddress: o.ns.address, ...enc }));
    await bl.pause(); // rests until its first window
    log(`webrtc baseline encoder: ${enc.fps} fps, key frame every ${enc.keyframeInterval}, ${enc.bitrateKbps} kbit/s (the room's)`);
    await compareWithWebrtc({ rounds: o.rounds, windowMs: o.windowMs, openFast: o.openFast, openWebrtc: () => openWebrtcViewer(o.browser, bl, o.viewport), webrtcStatus: () => bl.status(), pauseWebrtc: () => bl.pause(), resumeWebrtc: () => bl.resume() });
  } catch (e) {
    failed('webrtc', 'bare WebRTC baseline', e);
  }
  await stopWebrtcBaseline();
}
