/**
 * The recordings' pure rules: the disk limits (cap and free-space floor, with messages that say
 * which), a recording's ID from its start and back, and the download's byte ranges.
 */
import { describe, expect, it } from 'vitest';
import { diskRefusal, loadRecordingLimits } from '../../server/recordings/limits.js';
import { RECORDING_ID, recordingIdAt, startOf } from '../../server/recordings/files.js';
import { parseRange } from '../../server/http/fileDownload.js';

const GiB = 2 ** 30;

describe('recording disk limits', () => {
  const limits = { maxBytes: 10 * GiB, minFreeBytes: 2 * GiB };
  it('lets a recording start below both limits', () => {
    expect(diskRefusal({ usedBytes: 9 * GiB, freeBytes: 3 * GiB }, limits)).toBeNull();
  });
  it('refuses at the cap, saying how much is used of how much', () => {
    expect(diskRefusal({ usedBytes: 10 * GiB, freeBytes: 50 * GiB }, limits)).toBe('the recordings take 10.0 GiB of the 10.0 GiB they may use: delete some first');
  });
  it('refuses at the free-space floor', () => {
    expect(diskRefusal({ usedBytes: 0, freeBytes: 2 * GiB }, limits)).toMatch(/^the disk has 2\.0 GiB free, and 2\.0 GiB must stay free/);
  });
  it('reads the limits from the environment, refusing what is not a whole number of bytes', () => {
    expect(loadRecordingLimits({})).toEqual({ maxBytes: 20 * GiB, minFreeBytes: 2 * GiB });
    expect(loadRecordingLimits({ STREAMBOX_RECORDINGS_MAX_BYTES: '1000', STREAMBOX_RECORDINGS_MIN_FREE_BYTES: '0' })).toEqual({ maxBytes: 1000, minFreeBytes: 0 });
    expect(() => loadRecordingLimits({ STREAMBOX_RECORDINGS_MAX_BYTES: '10G' })).toThrow(/STREAMBOX_RECORDINGS_MAX_BYTES must be a whole number of bytes/);
    expect(() => loadRecordingLimits({ STREAMBOX_RECORDINGS_MIN_FREE_BYTES: '-1' })).toThrow(/MIN_FREE_BYTES/);
  });
});

describe('recording IDs', () => {
  it('are the start in UTC to the second, and name it back', () => {
    const id = recordingIdAt(new Date('2026-12-02T14:15:00.750Z'));
    expect(id).toBe('20261202T141500Z');
    expect(RECORDING_ID.test(id)).toBe(true);
    expect(RECORDING_ID.test(`${id}-2`)).toBe(true);
    expect(startOf(`${id}-2`)).toBe('2026-12-02T14:15:00.000Z');
    for (const bad of ['current', '../x', '20261202T141500Z.mp4', '20261202T141500']) expect(RECORDING_ID.test(bad), bad).toBe(false);
  });
});

describe('download byte ranges', () => {
  it('reads one range in its three forms, clamped to the file', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
  });
  it('answers the whole file for no range or what it does not read, and unsatisfiable past the end', () => {
    expect(parseRange(undefined, 1000)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeNull();
    expect(parseRange('items=0-1', 1000)).toBeNull();
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=5-2', 1000)).toBe('unsatisfiable');
  });
});
