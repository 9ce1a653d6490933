/** What the suites read of a room's stream: ffprobe's view, its sound, its motion, the fast path. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';

const execFileP = promisify(execFile);

export interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; avg_frame_rate?: string; r_frame_rate?: string }>;
}

export async function probe(url: string): Promise<Probe> {
  const { stdout } = await execFileP('ffprobe', ['-v', 'error', '-rw_timeout', '5000000', '-show_entries', 'stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate', '-of', 'json', url], { timeout: 15_000 });
  return JSON.parse(stdout) as Probe;
}

/** Mean audio level (dB) of a few seconds of the stream. */
export async function meanVolume(url: string): Promise<number> {
  const { stderr } = await execFileP('ffmpeg', ['-hide_banner', '-rw_timeout', '5000000', '-i', url, '-t', '3', '-vn', '-af', 'volumedetect', '-f', 'null', '-'], { timeout: 20_000 });
  const m = /mean_volume: (-?[\d.]+) dB/.exec(stderr);
  if (!m) throw new Error(`no volume in ffmpeg output: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

/** Two seconds of a room's fast path, read as a room page would (after the first frame). */
export async function fastPathSample(url: string): Promise<{ init: unknown; firstVideoKey: boolean; videoFrames: number; audioFrames: number }> {
  const ws = new WebSocket(url);
  let init: unknown = null;
  let firstVideoKey: boolean | null = null;
  let videoFrames = 0;
  let audioFrames = 0;
  let firstAt = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fast path: no frames within 20 s (init ${JSON.stringify(init)})`)), 20_000);
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        const msg = JSON.parse(String(data));
        if (msg.type === 'init') init = msg;
        return;
      }
      if (data[0] === 1) {
        firstVideoKey ??= data[1] === 1;
        videoFrames++;
      } else audioFrames++;
      firstAt ||= Date.now();
      if (Date.now() - firstAt >= 2000) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  ws.close();
  return { init, firstVideoKey: firstVideoKey === true, videoFrames, audioFrames };
}

/** Two frames one second apart differ (the picture moves). */
export async function frameHashes(url: string): Promise<string[]> {
  const { stdout } = await execFileP('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rw_timeout', '5000000', '-i', url, '-t', '2.5', '-vf', 'fps=1', '-f', 'framemd5', '-'], { timeout: 20_000 });
  return stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}
