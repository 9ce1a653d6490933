/** Reading a protocol's JSON text frames: an object with a string `type`, or null. */
export function decodeTyped(text: string): { type: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' ? (value as { type: string }) : null;
}
