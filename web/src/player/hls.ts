/**
 * The audience path: nginx-rtmp's HLS (0.5 s fragments cut at the encoder's key frames), played
 * by hls.js where the browser has Media Source Extensions, and by the browser itself on iPhone
 * Safari. hls.js rather than video.js's own engine: VHS holds 3-4 s behind live on these streams,
 * hls.js 1.3-2.4 s (README's benchmark), and it speeds up a little to catch up after a stall
 * rather than staying behind. video.js remains the shell around the element (shell.ts).
 */
import Hls from 'hls.js';
import type { AttachOptions, PlaybackSession, SourceDriver } from './driver.js';
import type { PlaybackSource } from '../shared/types.js';
import { createShell } from './shell.js';

function nativeHls(): boolean {
  return document.createElement('video').canPlayType('application/vnd.apple.mpegurl') !== '';
}

function liveEdgeDelayMs(video: HTMLVideoElement): number | null {
  const ranges = video.seekable;
  if (!ranges || ranges.length === 0 || video.readyState < 2) return null;
  const end = ranges.end(ranges.length - 1);
  return Number.isFinite(end) ? Math.max(0, Math.round((end - video.currentTime) * 1000)) : null;
}

export const hlsDriver: SourceDriver = {
  kind: 'hls',
  path: 'hls',
  param: 'hls',
  label: 'hls',

  unsupported() {
    return Hls.isSupported() || nativeHls() ? null : 'this browser plays no HLS';
  },

  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession {
    const shell = createShell(host, opts.muted);
    const { video } = shell;
    let hls: Hls | null = null;
    let destroyed = false;
    const fatal = (reason: string) => {
      if (!destroyed) opts.onFatal(`hls: ${reason}`);
    };

    if (Hls.isSupported()) {
      hls = new Hls({
        lowLatencyMode: true,
        // Previews may lag: they only need to move. Participants sit one fragment from the end.
        liveSyncDurationCount: opts.preview ? 3 : 1,
        liveMaxLatencyDurationCount: opts.preview ? 10 : 4,
        maxLiveSyncPlaybackRate: 1.15,
        backBufferLength: 4,
        // A room that is starting has no playlist yet: fail fast, the Player retries.
        manifestLoadPolicy: { default: { maxTimeToFirstByteMs: 4000, maxLoadTimeMs: 8000, timeoutRetry: { maxNumRetry: 1, retryDelayMs: 500, maxRetryDelayMs: 1000 }, errorRetry: { maxNumRetry: 1, retryDelayMs: 500, maxRetryDelayMs: 1000 } } },
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) fatal(`${data.type}: ${data.details}`);
      });
      hls.loadSource(source.url);
      hls.attachMedia(video);
    } else {
      video.src = source.url;
      video.addEventListener('error', () => fatal(video.error?.message || `media error ${video.error?.code ?? '?'}`));
    }

    return {
      kind: 'hls',
      video,
      delayMs() {
        const latency = hls?.latency;
        if (latency !== undefined && Number.isFinite(latency) && latency > 0) return Math.round(latency * 1000);
        return liveEdgeDelayMs(video);
      },
      destroy() {
        if (destroyed) return;
        destroyed = true;
        hls?.destroy();
        shell.dispose();
      },
    };
  },
};
