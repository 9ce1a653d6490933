/** Words and small pictures for people: times, initials, a stable colour per name. */

const rtf = typeof Intl !== 'undefined' ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return '';
  const s = Math.round((then - now) / 1000);
  const abs = Math.abs(s);
  if (!rtf) return new Date(then).toLocaleString();
  if (abs < 45) return 'just now';
  if (abs < 45 * 60) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 22 * 3600) return rtf.format(Math.round(s / 3600), 'hour');
  if (abs < 26 * 86400) return rtf.format(Math.round(s / 86400), 'day');
  return new Date(then).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]!][0] ?? '';
  const last = words.length > 1 ? ([...words[words.length - 1]!][0] ?? '') : ([...words[0]!][1] ?? '');
  return (first + last).toUpperCase();
}

/** A hue from the name, so a person keeps their colour across reloads and screens. */
export function nameHue(name: string): number {
  let hash = 2166136261;
  for (const ch of name) hash = Math.imul(hash ^ ch.codePointAt(0)!, 16777619);
  return Math.abs(hash) % 360;
}

export function personColor(name: string): string {
  return `hsl(${nameHue(name)} 62% 46%)`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A player's delay for people. The fast path measures from the encoder's output to this screen
 * (capturing and encoding come before, ~70 ms on the benchmark machine); HLS from the playlist's end.
 */
export function formatDelay(path: string | null, delayMs: number | null): string {
  if (delayMs === null) return '—';
  const amount = delayMs < 1000 ? `${delayMs} ms` : `${(delayMs / 1000).toFixed(1)} s`;
  return path === 'fast' ? `${amount} after encoding` : `${amount} behind the live edge`;
}
