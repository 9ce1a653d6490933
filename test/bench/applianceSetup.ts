/**
 * The benchmark's adjustments to a freshly booted appliance: more fast-path seats, all of them for
 * one address (its 50 receive-only clients all come from the viewer's namespace), and BENCH_FFMPEG_DROPIN, a drop-in for the room encoder's unit
 * (e.g. another ExecStart) to try encoder settings without rebuilding the root.
 */
import { readFileSync } from 'node:fs';
import type { Appliance } from '../harness/appliance.js';
import { log, sleep } from './report.js';

export async function prepareAppliance(app: Appliance): Promise<void> {
  const env = '/etc/streambox/streambox.env';
  await app.exec(['sh', '-c', `sed -i '/^STREAMBOX_FAST_PATH_SEATS/d' ${env} && printf 'STREAMBOX_FAST_PATH_SEATS=60\nSTREAMBOX_FAST_PATH_SEATS_PER_CLIENT=60\n' >> ${env} && systemctl restart streambox-admin`]);
  await waitHealthy(app.baseUrl);
  if (process.env.BENCH_FFMPEG_DROPIN) {
    const conf = readFileSync(process.env.BENCH_FFMPEG_DROPIN, 'utf8');
    log(`ffmpeg@.service drop-in from ${process.env.BENCH_FFMPEG_DROPIN}`);
    await app.exec(['sh', '-c', `mkdir -p /run/systemd/system/ffmpeg@.service.d && cat > /run/systemd/system/ffmpeg@.service.d/bench.conf <<'EOF'\n${conf}\nEOF\nsystemctl daemon-reload`]);
  }
}

async function waitHealthy(baseUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/api/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(500);
  }
  throw new Error('the admin service did not come back within 60 s');
}
