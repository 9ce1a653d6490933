/**
 * Which (source, driver) pair plays, and why the better ones were passed over: pure, so it is
 * unit-tested with stand-in drivers (test/unit/playerPaths.test.ts). source.ts gives it DRIVERS.
 */
import type { PlaybackSource } from '../shared/types.js';
import type { SourceDriver } from './driver.js';

export interface ChooseOptions {
  /** Why a driver (or its whole source) must not be tried now (it just failed here), or null. */
  avoided?(driver: SourceDriver): string | null;
  /** Only the driver with this `param` or `path` (`?path=` on a room link). */
  only?: string | null;
}

export interface Choice {
  driver: SourceDriver;
  source: PlaybackSource;
  /** Why the better paths were passed over, for the stats overlay; null when none was. */
  why: string | null;
}

/**
 * The first (source, driver) pair, in the server's order of sources and DRIVERS' order within a
 * kind, that this browser supports and that is not avoided; else the first supported one at all.
 */
export function choosePath(drivers: readonly SourceDriver[], sources: readonly PlaybackSource[], opts: ChooseOptions = {}): Choice | null {
  const allowed = drivers.filter((d) => !opts.only || d.param === opts.only || d.path === opts.only);
  const skipped: { driver: SourceDriver; reason: string; unsupported: boolean }[] = [];
  let firstSupported: Omit<Choice, 'why'> | null = null;
  for (const source of sources) {
    for (const driver of allowed.filter((d) => d.kind === source.kind)) {
      const unsupported = driver.unsupported();
      if (unsupported) {
        skipped.push({ driver, reason: unsupported, unsupported: true });
        continue;
      }
      firstSupported ??= { driver, source };
      const avoided = opts.avoided?.(driver) ?? null;
      if (avoided) {
        skipped.push({ driver, reason: avoided, unsupported: false });
        continue;
      }
      return { driver, source, why: explain(skipped, opts.only) };
    }
  }
  return firstSupported && { ...firstSupported, why: explain(skipped, opts.only) };
}

/** "plain HTTP: no WebCodecs", "every fast-path seat is taken", "this browser has neither WebCodecs nor MSE". */
function explain(skipped: readonly { driver: SourceDriver; reason: string; unsupported: boolean }[], only: string | null | undefined): string | null {
  const reasons: string[] = [];
  const fastUnsupported = skipped.filter((s) => s.unsupported && s.driver.kind === 'fast');
  if (fastUnsupported.length >= 2) reasons.push(`this browser has neither WebCodecs nor MSE${typeof isSecureContext !== 'undefined' && !isSecureContext ? ' (plain HTTP)' : ''}`);
  for (const s of skipped) {
    if (fastUnsupported.length >= 2 && fastUnsupported.includes(s)) continue;
    if (!reasons.includes(s.reason)) reasons.push(s.reason);
  }
  if (only) reasons.unshift(`forced by ?path=${only}`);
  return reasons.length ? reasons.join('; ') : null;
}
