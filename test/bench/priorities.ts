/**
 * CPU shares of a room's members, compared in alternating windows (`BENCH_PATHS=priorities`).
 *
 * On a busy host a frame x11grab took waits in ffmpeg's thread queues behind a starved x264
 * (~25 frames, ~0.8 s), while a kiosk that draws late costs only smoothness. The kernel's CFS
 * shares CPU between sessions (autogroups: every service is one) whatever a process's Nice=, so
 * the lever under nspawn (no cpu controller) is each session's autogroup nice. This section tries
 * settings for the encoder's and the kiosk's sessions on the same running room, round after round
 * (so a drifting load weighs on each alike), and records glass to glass for each: the numbers that
 * decide what units/ffmpeg@.service and units/browser@.service set.
 */
import type { Appliance } from '../harness/appliance.js';
import { glass, type Viewer } from './measures.js';
import { log, sleep } from './report.js';

export interface Shares {
  label: string;
  /** Autogroup nice of the encoder's session (ffmpeg@ID). */
  encoder: number;
  /** Autogroup nice of the kiosk's session (browser@ID). */
  kiosk: number;
}

/** BENCH_PRIORITIES="encoder:kiosk,..." overrides the settings tried. */
function settings(): Shares[] {
  const spec = process.env.BENCH_PRIORITIES ?? '0:0,0:5,-5:0,-5:5';
  return spec.split(',').map((pair) => {
    const [encoder, kiosk] = pair.split(':').map(Number);
    if (!Number.isInteger(encoder) || !Number.isInteger(kiosk)) throw new Error(`BENCH_PRIORITIES: "${pair}" is not encoder:kiosk`);
    return { label: `encoder ${encoder}, kiosk ${kiosk}`, encoder: encoder!, kiosk: kiosk! };
  });
}

/** Writes an autogroup nice for the session of a unit's main process, and reads back what every process of the unit now has. */
async function setShare(app: Appliance, unit: string, nice: number): Promise<string> {
  const script = `pid=$(systemctl show -p MainPID --value ${unit}); echo ${nice} > /proc/$pid/autogroup; for p in /proc/[0-9]*; do grep -qs '/${unit}$' $p/cgroup && cat $p/autogroup 2>/dev/null; done | sort | uniq -c | tr -s ' \\n' ' '`;
  const r = await app.exec(['sh', '-c', script]);
  return r.stdout.trim();
}

export async function prioritySection(opts: { app: Appliance; roomId: string; openFast: () => Promise<Viewer>; rounds: number; windowMs: number }): Promise<void> {
  const { app, roomId } = opts;
  const v = await opts.openFast();
  try {
    await sleep(4000);
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of settings()) {
        const enc = await setShare(app, `ffmpeg@${roomId}.service`, s.encoder);
        const kiosk = await setShare(app, `browser@${roomId}.service`, s.kiosk);
        log(`priorities ${s.label}: encoder sessions ${enc || '?'} kiosk sessions ${kiosk || '?'}`);
        await sleep(3000); // let the queues drain or fill to the new share
        await glass('priorities', `${s.label} (round ${round})`, v, opts.windowMs);
      }
    }
  } finally {
    await setShare(app, `ffmpeg@${roomId}.service`, 0).catch(() => '');
    await setShare(app, `browser@${roomId}.service`, 0).catch(() => '');
    await v.close();
  }
}
