/**
 * Keeps the input layer (.content) exactly over the picture inside the letterboxed <video>
 * (object-fit: contain maths in contentRect.ts), so noVNC maps a point of the picture to the same
 * point of the session: on resize, rotation, full screen and when the picture's size changes.
 */
import { containRect, snapRect, type Rect } from './contentRect.js';

export class PictureLayout {
  private rect: Rect = { x: 0, y: 0, width: 0, height: 0 };

  constructor(
    private readonly app: HTMLElement,
    private readonly stage: HTMLElement,
    private readonly content: HTMLElement,
    /** The playing <video> (its intrinsic size), if any. */
    private readonly video: () => HTMLVideoElement | null,
    /** The room's screen size, until the video knows its own. */
    private readonly screen: { width: number; height: number },
  ) {}

  /** Starts following the stage's size and the dock's height (--dock-h). */
  watch(dock: HTMLElement): void {
    new ResizeObserver(() => this.place()).observe(this.stage);
    new ResizeObserver(() => this.app.style.setProperty('--dock-h', `${Math.round(dock.getBoundingClientRect().height)}px`)).observe(dock);
    window.addEventListener('orientationchange', () => this.place());
  }

  place(): void {
    const v = this.video();
    const iw = v?.videoWidth || this.screen.width;
    const ih = v?.videoHeight || this.screen.height;
    const r = snapRect(containRect(iw, ih, this.stage.clientWidth, this.stage.clientHeight));
    if (r.x === this.rect.x && r.y === this.rect.y && r.width === this.rect.width && r.height === this.rect.height) return;
    this.rect = r;
    Object.assign(this.content.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px` });
    this.app.style.setProperty('--letterbox-y', `${r.y}px`);
  }
}
