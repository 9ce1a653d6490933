/** What the room page remembers on this device besides the name (screens.ts): the volume. */
const VOLUME_KEY = 'streambox.volume';

export function storedVolume(): number {
  try {
    const raw = localStorage.getItem(VOLUME_KEY);
    const stored = Number(raw);
    if (raw !== null && Number.isFinite(stored)) return Math.min(1, Math.max(0, stored));
  } catch {
    // private mode
  }
  return 1;
}

export function storeVolume(level: number): void {
  try {
    localStorage.setItem(VOLUME_KEY, String(level));
  } catch {
    // fine
  }
}

/** Sound on if the browser lets us (a gesture on this page, e.g. the name prompt, usually does). */
export function canSound(): boolean {
  return (navigator as Navigator & { userActivation?: { hasBeenActive: boolean } }).userActivation?.hasBeenActive ?? false;
}
