/**
 * When the bar (the dock) shows: it slides away after a few quiet seconds and comes back on a
 * move, a tap, a focus or Tab; while driving only the edge where it lives brings it back, so it
 * does not cover what is being clicked. It stays while something needs it (pinned): the pointer
 * over it, a request or open popover, no picture yet, the channel down, the idle warning, stats.
 */
import { amHolder, type RoomState } from './state.js';
import { touchLayout } from './skeleton.js';

const HIDE_AFTER_MS = 2800;
/** How close to its edge a move must be to bring the bar back while driving. */
const EDGE_ZONE_PX = 88;

export class BarAutoHide {
  private timer: number | null = null;
  private overBar = false;
  private state: RoomState | null = null;

  constructor(
    private readonly dock: HTMLElement,
    private readonly app: HTMLElement,
    private readonly handle: HTMLButtonElement,
    /** The bar's own reasons to stay (bar.ts `needsAttention`). */
    private readonly barNeedsUser: () => boolean,
  ) {
    let last = { x: NaN, y: NaN };
    document.addEventListener(
      'pointermove',
      (ev) => {
        if (ev.pointerType === 'touch') return; // touch: taps decide (see pointer.ts)
        // Browsers send a pointermove without any movement when the page changes under a resting pointer.
        if (ev.clientX === last.x && ev.clientY === last.y) return;
        last = { x: ev.clientX, y: ev.clientY };
        if (!this.driving) return this.show();
        const atTop = touchLayout.matches;
        if (atTop ? ev.clientY < EDGE_ZONE_PX : ev.clientY > window.innerHeight - EDGE_ZONE_PX) this.show();
      },
      { passive: true },
    );
    dock.addEventListener('pointerenter', () => {
      this.overBar = true;
      this.show();
    });
    dock.addEventListener('pointerleave', () => {
      this.overBar = false;
      this.show();
    });
    dock.addEventListener('pointerdown', () => this.show());
    dock.addEventListener('focusin', () => this.show());
    dock.addEventListener('focusout', () => this.show());
    handle.addEventListener('click', () => this.show());
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Tab') this.show();
    });
  }

  get hidden(): boolean {
    return this.dock.classList.contains('hidden');
  }

  /** After every change of the state (and after the bar drew it). */
  update(s: RoomState): void {
    this.state = s;
    if (this.barNeedsUser() || (this.hidden && this.pinned())) this.show();
  }

  show(): void {
    this.dock.classList.remove('hidden');
    this.app.classList.remove('bar-hidden');
    this.handle.hidden = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    // Touch has no hover to bring the bar back, so it stays longer there.
    this.timer = window.setTimeout(
      () => {
        this.timer = null;
        if (this.pinned()) return this.show();
        this.hide();
      },
      touchLayout.matches ? HIDE_AFTER_MS * 2 : HIDE_AFTER_MS,
    );
  }

  hide(): void {
    if (this.pinned()) return;
    this.dock.classList.add('hidden');
    this.app.classList.add('bar-hidden');
    this.handle.hidden = !(touchLayout.matches && this.driving);
  }

  private get driving(): boolean {
    return this.state !== null && amHolder(this.state);
  }

  private pinned(): boolean {
    const s = this.state;
    if (!s) return true;
    return this.overBar || this.barNeedsUser() || s.player !== 'playing' || s.channel !== 'open' || s.idleDeadline !== null || s.statsOpen;
  }
}
