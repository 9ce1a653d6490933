/**
 * Slows down repeated wrong passwords per client: the first few failures are free, then each
 * further try must wait twice as long as the one before (1 s, 2 s, 4 s ... up to 15 min).
 * Pure logic with an injected clock; forgets a client after an hour without failures.
 *
 * A try is counted BEFORE its password is checked (begin), and forgiven only when it turned out
 * right (succeeded): scrypt is slow and asynchronous, so counting after the check let 16
 * concurrent wrong passwords all be checked before the first failure was recorded.
 */
export interface ThrottleOptions {
  freeFailures?: number;
  maxDelayMs?: number;
  forgetAfterMs?: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly freeFailures: number;
  private readonly maxDelayMs: number;
  private readonly forgetAfterMs: number;

  constructor(
    private readonly now: () => number,
    opts: ThrottleOptions = {},
  ) {
    this.freeFailures = opts.freeFailures ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 15 * 60_000;
    this.forgetAfterMs = opts.forgetAfterMs ?? 60 * 60_000;
  }

  /** Milliseconds this client must still wait before its next try (0: go ahead). */
  waitMs(client: string): number {
    const entry = this.current(client);
    if (!entry || entry.failures < this.freeFailures) return 0;
    const delay = Math.min(1000 * 2 ** (entry.failures - this.freeFailures), this.maxDelayMs);
    return Math.max(0, entry.lastFailureAt + delay - this.now());
  }

  /**
   * Starts a try: 0 when it may go ahead (and it already counts as a failure until succeeded()
   * forgives it), else the milliseconds the client must still wait (nothing counted).
   */
  begin(client: string): number {
    const wait = this.waitMs(client);
    if (wait > 0) return wait;
    this.failed(client);
    return 0;
  }

  failed(client: string): void {
    const entry = this.current(client) ?? { failures: 0, lastFailureAt: 0 };
    entry.failures += 1;
    entry.lastFailureAt = this.now();
    this.entries.set(client, entry);
    if (this.entries.size > 10_000) this.sweep();
  }

  succeeded(client: string): void {
    this.entries.delete(client);
  }

  private current(client: string): Entry | undefined {
    const entry = this.entries.get(client);
    if (entry && this.now() - entry.lastFailureAt > this.forgetAfterMs) {
      this.entries.delete(client);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    for (const key of [...this.entries.keys()]) this.current(key);
  }
}
