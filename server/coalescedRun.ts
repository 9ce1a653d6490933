/**
 * A job that many callers ask for and one run can serve (reconcile): requests while a run is going
 * coalesce into one more run after it, never two at once. A failed run is reported and does not
 * fail the callers; the next request runs again.
 */
export class CoalescedRun {
  private running: Promise<void> | null = null;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Resolves when the run that covers this request is finished. */
  request(): Promise<void> {
    if (this.pending) return this.pending;
    const after = this.running ?? Promise.resolve();
    this.pending = after.then(async () => {
      this.pending = null;
      this.running = this.run()
        .catch((err: unknown) => this.onError(err as Error))
        .finally(() => {
          this.running = null;
        });
      await this.running;
    });
    return this.pending;
  }
}
