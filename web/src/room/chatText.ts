/**
 * A chat message's text cut into plain runs and web links, so the panel can show links that open
 * in the participant's own browser (a new tab, rel=noopener noreferrer) and never in the session.
 * Only http(s) addresses become links; trailing punctuation stays text. Pure (no DOM).
 */

export type Run = { text: string } | { url: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function linkRuns(text: string): Run[] {
  const runs: Run[] = [];
  let at = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const tail = TRAILING.exec(url)?.[0] ?? '';
    url = url.slice(0, url.length - tail.length);
    const start = m.index;
    if (!isWebUrl(url)) continue;
    if (start > at) runs.push({ text: text.slice(at, start) });
    runs.push({ url });
    at = start + url.length;
  }
  if (at < text.length) runs.push({ text: text.slice(at) });
  return runs;
}

function isWebUrl(candidate: string): boolean {
  try {
    const u = new URL(candidate);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
