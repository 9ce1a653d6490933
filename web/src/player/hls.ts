/**
 * HLS through video.js and its VHS engine (MSE), or the browser's own HLS where there is no MSE
 * (iPhone Safari). nginx-rtmp cuts ~1 s fragments at keyframes and has no LL-HLS parts, so the
 * floor is a few seconds; what we add is never drifting behind: players hold back three target
 * durations at start and then fall further behind after every stall ("latency creeps up until
 * reload"). The chaser below speeds up a little when a bit behind and jumps when far behind.
 */
import videojs from 'video.js';
import type { AttachOptions, PlaybackSession, SourceDriver } from './source.js';
import { createVideoElement } from './source.js';
import type { PlaybackSource } from '../shared/types.js';

(window as unknown as { VIDEOJS_NO_DYNAMIC_STYLE: boolean }).VIDEOJS_NO_DYNAMIC_STYLE = true;

/** Seconds behind the live edge we aim for, and when we jump instead of speeding up. */
const TARGET_BEHIND_S = 2.5;
const CATCH_UP_RATE = 1.08;
const JUMP_BEHIND_S = 6;

function liveEdge(video: HTMLVideoElement): number | null {
  const ranges = video.seekable;
  if (!ranges || ranges.length === 0) return null;
  const end = ranges.end(ranges.length - 1);
  return Number.isFinite(end) ? end : null;
}

export const hlsDriver: SourceDriver = {
  kind: 'hls',

  supported() {
    const mse = typeof window.MediaSource !== 'undefined' || 'ManagedMediaSource' in window;
    return mse || document.createElement('video').canPlayType('application/vnd.apple.mpegurl') !== '';
  },

  attach(host: HTMLElement, source: PlaybackSource, opts: AttachOptions): PlaybackSession {
    const video = createVideoElement(opts.muted);
    host.appendChild(video);
    const player = videojs(video, {
      children: ['mediaLoader'],
      controls: false,
      autoplay: false,
      muted: opts.muted,
      preload: 'auto',
      liveui: false,
      // video.js's own live tracker would mark us "behind live" at its 15 s default; keep it quiet.
      liveTracker: { trackingThreshold: 0, liveTolerance: 3 },
      html5: {
        vhs: {
          // MSE everywhere it exists (consistent behaviour and stats); native HLS on iPhone.
          overrideNative: !videojs.browser.IS_ANY_SAFARI,
          experimentalUseMMS: true,
          llhls: true,
          useNetworkInformationApi: false,
          limitRenditionByPlayerDimensions: false,
          // A room that is starting has no playlist yet: fail fast, the Player retries.
          maxPlaylistRetries: 2,
          playlistExclusionDuration: 2,
        },
        nativeAudioTracks: false,
        nativeVideoTracks: false,
        nativeTextTracks: false,
      },
    });
    player.src({ src: source.url, type: source.mimeType });
    let destroyed = false;
    player.on('error', () => {
      if (destroyed) return;
      const err = player.error();
      opts.onFatal(`hls: ${err?.message ?? 'playback error'} (code ${err?.code ?? '?'})`);
    });

    // Stay near the live edge (not for previews: they may lag; they just need to move).
    const chase = window.setInterval(() => {
      if (opts.preview || video.paused || video.readyState < 3) return;
      const edge = liveEdge(video);
      if (edge === null) return;
      const behind = edge - video.currentTime;
      if (behind > JUMP_BEHIND_S) {
        video.currentTime = edge - TARGET_BEHIND_S;
        video.playbackRate = 1;
      } else if (behind > TARGET_BEHIND_S + 0.75) {
        video.playbackRate = CATCH_UP_RATE;
      } else if (behind < TARGET_BEHIND_S + 0.1) {
        video.playbackRate = 1;
      }
    }, 1000);

    return {
      kind: 'hls',
      video,
      delayMs() {
        const edge = liveEdge(video);
        return edge === null || video.readyState < 2 ? null : Math.max(0, Math.round((edge - video.currentTime) * 1000));
      },
      destroy() {
        if (destroyed) return;
        destroyed = true;
        window.clearInterval(chase);
        try {
          player.dispose(); // also removes the <video> and video.js's wrapper
        } catch {
          video.remove();
        }
      },
    };
  },
};
