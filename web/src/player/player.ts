/**
 * The live player: picks a source through the driver seam (source.ts), keeps it playing (retries
 * while the room starts, re-attaches after stalls), handles autoplay rules and reports stats.
 * It knows <video> elements, never a streaming protocol.
 */
import type { PlaybackSource } from '../shared/types.js';
import type { PlaybackSession, SourceDriver } from './driver.js';
import { chooseSource } from './source.js';
import type { PlayerPathInfo, PlayerState, PlayerStats } from './playerTypes.js';

export type { PlayerPathInfo, PlayerState, PlayerStats } from './playerTypes.js';

export interface PlayerOptions {
  muted: boolean;
  preview?: boolean;
  onState?(state: PlayerState): void;
  /** The picture's intrinsic size became known or changed. */
  onMediaSize?(width: number, height: number): void;
  /** Sound was wanted but the browser only allowed muted playback. */
  onAutoplayMuted?(): void;
  /** The path it plays changed (a new attach, a fallback), or null when nothing plays. */
  onPath?(path: PlayerPathInfo | null): void;
  /** Only this path (a driver's `param` or `path`: `?path=mse` on a room link), no fallback. */
  forcePath?: string | null;
}

const STALL_AFTER_MS = 5000;
/** A path that failed here is avoided this long before the Player tries it again. */
const AVOID_FAILED_PATH_MS = 60_000;
const FIRST_PICTURE_WITHIN_MS = 12_000;

export class Player {
  private session: PlaybackSession | null = null;
  private sources: readonly PlaybackSource[] = [];
  private state: PlayerState = 'idle';
  private watchdog: number | null = null;
  private retryTimer: number | null = null;
  private attempts = 0;
  private attachedAt = 0;
  private lastTime = -1;
  private lastProgressAt = 0;
  private fpsSample: { at: number; frames: number } | null = null;
  private fps: number | null = null;
  private wantMuted: boolean;
  /** Paths ('path:NAME') and sources ('source:KIND') that failed here: until when, and why. */
  private readonly avoidUntil = new Map<string, { until: number; why: string }>();
  private chosen: { driver: SourceDriver; why: string | null } | null = null;
  private volumeLevel = 1;

  constructor(
    private readonly host: HTMLElement,
    private readonly opts: PlayerOptions,
  ) {
    this.wantMuted = opts.muted;
  }

  get current(): PlayerState {
    return this.state;
  }

  get video(): HTMLVideoElement | null {
    return this.session?.video ?? null;
  }

  get muted(): boolean {
    return this.wantMuted;
  }

  get volume(): number {
    return this.volumeLevel;
  }

  /** Starts playing these sources (the room's `stream.web`), replacing whatever played. */
  load(sources: readonly PlaybackSource[]): void {
    this.sources = sources;
    this.attempts = 0;
    this.attach();
  }

  stop(): void {
    this.clearTimers();
    this.session?.destroy();
    this.session = null;
    this.opts.onPath?.(null);
    this.setState('idle');
  }

  setMuted(muted: boolean): void {
    this.wantMuted = muted;
    const v = this.video;
    if (!v) return;
    if (!muted && v.volume === 0) this.volumeLevel = 1;
    this.applySound();
    if (v.paused) void this.tryPlay();
    else if (!muted) void this.playSound();
  }

  /** The level only; muting is separate (a muted player keeps its level for unmute). */
  setVolume(level: number): void {
    this.volumeLevel = Math.min(1, Math.max(0, level));
    this.applySound();
  }

  /** Mute and level on every element that plays sound (the picture's, and the MSE path's own). */
  private applySound(): void {
    for (const el of [this.session?.video, this.session?.sound]) {
      if (!el) continue;
      el.muted = this.wantMuted;
      el.volume = this.volumeLevel;
    }
  }

  /** Call from a user gesture when playback was blocked. */
  resume(): void {
    void this.tryPlay();
  }

  stats(): PlayerStats {
    const v = this.video;
    const quality = v && typeof v.getVideoPlaybackQuality === 'function' ? v.getVideoPlaybackQuality() : null;
    return {
      path: this.session ? (this.chosen?.driver.path ?? null) : null,
      pathLabel: this.session ? (this.chosen?.driver.label ?? null) : null,
      pathWhy: this.session ? (this.chosen?.why ?? null) : null,
      kind: this.session?.kind ?? null,
      width: v?.videoWidth ?? 0,
      height: v?.videoHeight ?? 0,
      fps: this.fps,
      delayMs: this.session?.delayMs() ?? null,
      droppedFrames: quality ? quality.droppedVideoFrames : null,
    };
  }

  private attach(): void {
    this.clearTimers();
    this.session?.destroy();
    this.session = null;
    const now = performance.now();
    const avoided = (driver: SourceDriver): string | null => {
      for (const key of [`path:${driver.path}`, `source:${driver.kind}`]) {
        const entry = this.avoidUntil.get(key);
        if (entry && entry.until > now) return entry.why;
      }
      return null;
    };
    const chosen = chooseSource(this.sources, { avoided, only: this.opts.forcePath ?? null });
    this.chosen = chosen && { driver: chosen.driver, why: chosen.why };
    this.opts.onPath?.(chosen && { name: chosen.driver.path, label: chosen.driver.label, why: chosen.why });
    if (!chosen) {
      this.setState('unsupported');
      return;
    }
    this.setState(this.state === 'playing' || this.state === 'stalled' ? 'stalled' : 'waiting');
    const session = chosen.driver.attach(this.host, chosen.source, {
      muted: this.wantMuted,
      preview: this.opts.preview ?? false,
      onFatal: (reason, hint) => {
        if (this.session !== session) return;
        if (hint?.fallback) {
          // This path (or its whole source) does not work here (refused, full, unsupported): the next one, at once.
          const key = hint.scope === 'source' ? `source:${chosen.source.kind}` : `path:${chosen.driver.path}`;
          const why = hint.scope === 'source' ? (hint.why ?? reason) : `${chosen.driver.label} failed: ${hint.why ?? reason}`;
          this.avoidUntil.set(key, { until: performance.now() + AVOID_FAILED_PATH_MS, why });
          this.retrySoon(0);
        } else {
          this.retrySoon();
        }
      },
    });
    this.session = session;
    const v = session.video;
    this.applySound();
    this.attachedAt = performance.now();
    this.lastTime = -1;
    this.lastProgressAt = 0;
    this.fpsSample = null;
    this.fps = null;
    const reportSize = () => {
      if (v.videoWidth && v.videoHeight) this.opts.onMediaSize?.(v.videoWidth, v.videoHeight);
    };
    v.addEventListener('loadedmetadata', reportSize);
    v.addEventListener('resize', reportSize);
    v.addEventListener('canplay', () => void this.tryPlay(), { once: true });
    void this.tryPlay();
    this.watchdog = window.setInterval(() => this.check(), 1000);
  }

  private async tryPlay(): Promise<void> {
    const v = this.video;
    if (!v) return;
    this.applySound();
    try {
      await v.play();
      if (this.state === 'blocked') this.setState('waiting');
      void this.playSound();
    } catch (err) {
      if ((err as DOMException)?.name !== 'NotAllowedError' || v !== this.video) return; // not loaded yet: canplay retries
      if (!v.muted) {
        // Sound needs a gesture here: play silently and let the page offer "Tap to unmute".
        this.wantMuted = true;
        this.applySound();
        this.opts.onAutoplayMuted?.();
        try {
          await v.play();
          void this.playSound();
          return;
        } catch {
          // fall through
        }
      }
      this.setState('blocked');
    }
  }

  /**
   * Plays the session's own sound element, if it has one, once the picture plays. It may still be
   * waiting for data (the promise then settles later). Refused sound (no gesture yet) makes the
   * whole player muted, as a refused picture does, so the page offers "Tap to unmute".
   */
  private async playSound(): Promise<void> {
    const sound = this.session?.sound;
    if (!sound) return;
    try {
      await sound.play();
    } catch (err) {
      if ((err as DOMException)?.name !== 'NotAllowedError' || sound !== this.session?.sound || sound.muted) return;
      this.wantMuted = true;
      this.applySound();
      this.opts.onAutoplayMuted?.();
      await sound.play().catch(() => undefined);
    }
  }

  private check(): void {
    const v = this.video;
    if (!v) return;
    const now = performance.now();
    if (v.currentTime !== this.lastTime && !v.paused && v.readyState >= 2) {
      this.lastTime = v.currentTime;
      this.lastProgressAt = now;
      this.attempts = 0;
      if (this.state !== 'playing') this.setState('playing');
    }
    this.measureFps(v, now);
    if (this.state === 'blocked') return;
    if (this.state === 'playing' && now - this.lastProgressAt > STALL_AFTER_MS) {
      this.setState('stalled');
      this.retrySoon(0);
    } else if (this.state !== 'playing' && this.lastProgressAt === 0 && now - this.attachedAt > FIRST_PICTURE_WITHIN_MS) {
      this.retrySoon(0);
    }
  }

  private measureFps(v: HTMLVideoElement, now: number): void {
    const frames = typeof v.getVideoPlaybackQuality === 'function' ? v.getVideoPlaybackQuality().totalVideoFrames : null;
    if (frames === null) return;
    if (this.fpsSample && now - this.fpsSample.at >= 2000) {
      this.fps = Math.round(((frames - this.fpsSample.frames) * 1000) / (now - this.fpsSample.at));
      this.fpsSample = { at: now, frames };
    } else if (!this.fpsSample) {
      this.fpsSample = { at: now, frames };
    }
  }

  private retrySoon(delayMs?: number): void {
    if (this.retryTimer !== null) return;
    const wait = delayMs ?? Math.min(5000, 800 * 2 ** this.attempts);
    this.attempts++;
    if (this.state === 'playing') this.setState('stalled');
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.attach();
    }, wait);
  }

  private clearTimers(): void {
    if (this.watchdog !== null) window.clearInterval(this.watchdog);
    if (this.retryTimer !== null) window.clearTimeout(this.retryTimer);
    this.watchdog = this.retryTimer = null;
  }

  private setState(state: PlayerState): void {
    if (state === this.state) return;
    this.state = state;
    this.opts.onState?.(state);
  }
}
