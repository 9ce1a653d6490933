/**
 * Input that follows a paste waits until the room's clipboard took it (issue 14). The room's
 * clipboard relay (provisioning/kiosk/x11vnc-clipboard) hands each paste from x11vnc to a new
 * CLIPBOARD owner after x11vnc took it; a Ctrl+V that reaches the kiosk during that handoff asks
 * an owner that is going away, and Chromium pastes nothing. Measured on bare Xvfb + x11vnc +
 * Chromium (idle 2-core machine): keys 0 ms after the paste pasted nothing; the handoff itself
 * (three short-lived processes) took 20-70 ms idle and 200-1900 ms with the browser suite
 * running beside it, so no fixed wait is right for both.
 *
 * So the relay rings the X bell once its new owner holds CLIPBOARD, x11vnc forwards the bell to
 * every client as an RFB Bell, and the hold ends at the bell of each paste it waits for
 * (`acknowledged`), or after PASTE_SETTLE_MAX_MS when no bell comes (a relay that failed, or an
 * older room). Nothing else in a room rings the bell: the kiosk's Chromium never calls XBell, and
 * the gateway sends no Bell on to the browser.
 */
export const PASTE_SETTLE_MAX_MS = 1500;

export class PasteHold {
  private queued: Buffer[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Pastes sent whose bell has not rung yet. */
  private unacknowledged = 0;

  constructor(
    /** Where input goes once nothing is settling. */
    private readonly release: (bytes: Buffer) => void,
    /** Called when a hold ends (after what waited went on). */
    private readonly onSettled: () => void,
    private readonly settleMs = PASTE_SETTLE_MAX_MS,
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

  /** A paste just went out through `send`: what follows waits until its bell (a later paste waits longer). */
  pasted(): void {
    this.unacknowledged++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(), this.settleMs);
    this.timer.unref();
  }

  /** The room's clipboard relay rang: one paste is in place; the last one ends the hold. False: no paste waited for it. */
  acknowledged(): boolean {
    if (this.unacknowledged === 0) return false;
    this.unacknowledged--;
    if (this.unacknowledged === 0) this.settle();
    return true;
  }

  private settle(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unacknowledged = 0;
    const waiting = this.queued;
    this.queued = [];
    this.bytes = 0;
    if (waiting.length > 0) this.release(Buffer.concat(waiting));
    this.onSettled();
  }

  /** The session ended: what waits is dropped (held keys are released by the session). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unacknowledged = 0;
    this.queued = [];
    this.bytes = 0;
  }
}
