/** Fills the filesystem holding `file` by writing it until the disk is full (the full-disk tests). */
import { closeSync, openSync, writeSync } from 'node:fs';
import { expect } from 'vitest';

export function fillUntilFull(file: string, chunkBytes = 256 * 1024): void {
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(chunkBytes));
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code, 'the write stopped because the disk is full').toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
}
