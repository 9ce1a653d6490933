/**
 * What a recording holds, read from the file by ffprobe (it reads a fragmented MP4 cut short by
 * a crash up to its last whole fragment): duration and tracks. A finished file does not change,
 * so each answer is kept per path, size and modification time.
 */
import { execFile } from 'node:child_process';

export interface ProbeResult {
  /** Seconds, or null when ffprobe could not tell (an empty or broken file). */
  durationSeconds: number | null;
  /** The tracks' kinds in the file's order, e.g. ['video', 'audio']. */
  tracks: string[];
}

const PROBE_TIMEOUT_MS = 15_000;

export class Prober {
  private readonly cache = new Map<string, { key: string; result: ProbeResult }>();

  constructor(private readonly ffprobe = 'ffprobe') {}

  async probe(path: string, size: number, mtimeIso: string): Promise<ProbeResult> {
    const key = `${size}:${mtimeIso}`;
    const hit = this.cache.get(path);
    if (hit?.key === key) return hit.result;
    const result = await this.run(path);
    this.cache.set(path, { key, result });
    return result;
  }

  forget(path: string): void {
    this.cache.delete(path);
  }

  private run(path: string): Promise<ProbeResult> {
    const args = ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type', '-of', 'json', path];
    return new Promise((resolve) => {
      execFile(this.ffprobe, args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) return resolve({ durationSeconds: null, tracks: [] });
        try {
          const out = JSON.parse(stdout) as { format?: { duration?: string }; streams?: Array<{ codec_type?: string }> };
          const duration = Number(out.format?.duration);
          resolve({ durationSeconds: Number.isFinite(duration) ? Math.round(duration * 10) / 10 : null, tracks: (out.streams ?? []).map((s) => s.codec_type ?? 'unknown') });
        } catch {
          resolve({ durationSeconds: null, tracks: [] });
        }
      });
    });
  }
}
