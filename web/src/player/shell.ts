/**
 * The player shell every path plays in: a video.js player around one <video>, with no controls
 * and no UI components (only its media loader), so every path plays in the same element. video.js
 * owns none of what the page shows: the page's CSS sizes the element (object-fit: contain, and
 * the noVNC layer is placed over the picture by room/pictureLayout.ts), the Player (player.ts)
 * sets volume and mute on the element itself, and full screen is the whole page's
 * (document.documentElement), not video.js's. A path driver only feeds the element, with a
 * MediaStream (fast path) or with hls.js / the browser's own HLS.
 */
import './noDynamicStyle.js'; // before video.js: no injected <style> (CSP)
import videojs from 'video.js/dist/alt/video.core.js';

export interface Shell {
  video: HTMLVideoElement;
  /** Removes the player and its <video> from the page. */
  dispose(): void;
}

export function createShell(host: HTMLElement, muted: boolean): Shell {
  const video = createVideoElement(muted);
  host.appendChild(video);
  const player = videojs(video, {
    children: ['mediaLoader'],
    controls: false,
    autoplay: false,
    muted,
    preload: 'auto',
    liveui: false,
    // The page shows its own live state; video.js's tracker would call us "behind" at 15 s.
    liveTracker: { trackingThreshold: 0, liveTolerance: 3 },
    html5: { nativeAudioTracks: false, nativeVideoTracks: false, nativeTextTracks: false },
  });
  // video.js may wrap or replace the element: feed the one its tech plays.
  const techVideo = (player.tech(true)?.el() as HTMLVideoElement | undefined) ?? video;
  return {
    video: techVideo,
    dispose() {
      try {
        player.dispose(); // also removes the <video> and video.js's wrapper
      } catch {
        techVideo.remove();
      }
    },
  };
}

/** A plain <video> element set up for inline, silent-first live playback. */
export function createVideoElement(muted: boolean): HTMLVideoElement {
  const video = createMediaElement('video', 'media', muted);
  video.playsInline = true;
  video.setAttribute('playsinline', '');
  video.setAttribute('webkit-playsinline', '');
  video.controls = false;
  return video;
}

/** A <video> or <audio> for live playback: muted as asked, loading at once, never cast. */
export function createMediaElement<K extends 'video' | 'audio'>(tag: K, className: string, muted: boolean): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.className = className;
  el.muted = muted;
  el.defaultMuted = muted;
  el.preload = 'auto';
  // Also what ManagedMediaSource (iPhone Safari, mse.ts) requires, unless an AirPlay source is given.
  el.disableRemotePlayback = true;
  return el;
}
