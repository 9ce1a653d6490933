/**
 * Input that follows a paste waits a moment (issue 14). The room's clipboard relay
 * (provisioning/kiosk/x11vnc-clipboard) hands each paste from x11vnc to a new CLIPBOARD owner a few
 * milliseconds after x11vnc took it; a Ctrl+V that reaches the kiosk during that handoff asks an
 * owner that is going away, and Chromium pastes nothing. Measured on bare Xvfb + x11vnc + Chromium
 * (idle 2-core machine): keys 0 ms after the paste pasted nothing, from 20 ms on the whole text.
 * The room page sends the paste and the Ctrl+V together, so what follows a paste is held for
 * PASTE_SETTLE_MS, in order, with a margin for a busy host.
 */
export const PASTE_SETTLE_MS = 250;

export class PasteHold {
  private queued: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Where input goes once nothing is settling. */
    private readonly release: (bytes: Buffer) => void,
    /** Called when a hold ends (after what waited went on). */
    private readonly onSettled: () => void,
    private readonly settleMs = PASTE_SETTLE_MS,
  ) {}

  get holding(): boolean {
    return this.timer !== null;
  }

  /** Bytes waiting behind a paste. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Passes `bytes` on now, or queues them behind a paste that is settling. */
  send(bytes: Buffer): void {
    if (!this.timer) return this.release(bytes);
    this.queued.push(bytes);
    this.bytes += bytes.length;
  }

  /** A paste just went out through `send`: what follows waits until it settled (a later paste waits longer). */
  pasted(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const waiting = this.queued;
      this.queued = [];
      this.bytes = 0;
      if (waiting.length > 0) this.release(Buffer.concat(waiting));
      this.onSettled();
    }, this.settleMs);
    this.timer.unref();
  }

  /** The session ended: what waits is dropped (held keys are released by the session). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queued = [];
    this.bytes = 0;
  }
}
