/**
 * The character set of the session's copies. RFB says cut text is Latin-1 (RFC 6143 7.6.4), and
 * noVNC reads it so; but the kiosk's Chromium answers x11vnc's request for the X selection with
 * UTF-8 bytes whatever target is asked (seen: "café" arrived as "cafÃ©"), and x11vnc passes
 * them on as they are. So a text that is valid UTF-8 is read as UTF-8, anything else as Latin-1,
 * and what goes to a driver's noVNC is re-encoded as the Latin-1 it expects, with '?' for what
 * Latin-1 lacks. The room channel (JSON) carries the text whole.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text the session copied. */
export function copiedText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** The text as RFB's Latin-1: one byte per character, '?' for the ones it has not. */
export function latin1Bytes(text: string): Buffer {
  return Buffer.from(Array.from(text, (c) => (c.codePointAt(0)! > 0xff ? '?' : c)).join(''), 'latin1');
}
