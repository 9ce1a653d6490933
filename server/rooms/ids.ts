import { randomBytes } from 'node:crypto';

/**
 * Room IDs: 120 random bits as 24 lowercase base32 characters. Unguessable, URL-safe, and valid
 * as a systemd instance name without escaping (only [a-z2-7]).
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
export const ROOM_ID_PATTERN = /^[a-z2-7]{24}$/;

export function newRoomId(): string {
  return base32(randomBytes(15));
}

export function isRoomId(value: string): boolean {
  return ROOM_ID_PATTERN.test(value);
}

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A random secret of `bytes` bytes, URL-safe. */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
