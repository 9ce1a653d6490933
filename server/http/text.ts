/**
 * Names people see (room names, participant names): printable text only. NUL and other control
 * characters, bidirectional overrides and isolates (which make "evil\u202Egnp.exe" read as
 * "evilexe.png"), zero-width and line-separator characters are refused, not silently dropped,
 * so the person typing sees why.
 */
// C0 and C1 controls, DEL, LRM/RLM/ALM and zero-width characters, line/paragraph separators,
// bidi embeddings/overrides/isolates, the BOM, interlinear annotation and specials.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/u;

export function isCleanText(value: string): boolean {
  return !FORBIDDEN.test(value);
}

export const CLEAN_TEXT_MESSAGE = 'must not contain control characters, bidirectional overrides or invisible characters';
