/**
 * A room's clipboard setting (issue 14): who may move text between the session's clipboard and
 * their own. 'off': nobody. 'driver' (the default): the participant holding control, both ways,
 * over their VNC session. 'everyone': the driver both ways, and every participant may also copy
 * out (the text the session copies is sent to the whole room on the room channel). Only the
 * driver ever pastes in. Rooms made before the setting existed read as 'driver'.
 */
export const CLIPBOARD_MODES = ['off', 'driver', 'everyone'] as const;

export type ClipboardMode = (typeof CLIPBOARD_MODES)[number];

export const DEFAULT_CLIPBOARD: ClipboardMode = 'driver';

/** The longest text moved either way, in bytes (Latin-1 over RFB: one byte per character). */
export const CLIPBOARD_MAX_BYTES = 256 * 1024;

/** A stored room config's setting (no import of types.ts, which imports this module's type). */
export function clipboardMode(config: { clipboard?: ClipboardMode }): ClipboardMode {
  return config.clipboard ?? DEFAULT_CLIPBOARD;
}
