/**
 * Issue 11, "Not root": the admin service runs as its own user, polkit lets that user start and
 * stop the rooms' units and nothing else, D-Bus signals count only from systemd, and its state
 * from a root-run service is handed over. Against the booted appliance; every refusal is checked
 * by reading back that nothing happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bootAppliance, type Appliance } from '../harness/appliance.js';
import { startPageServer, type PageServer } from '../support/pageServer.js';
import { eventually } from '../support/eventually.js';

const PORT = 8800;
const MEMBERS = ['xvfb', 'pulse', 'browser', 'x11vnc', 'ffmpeg'] as const;
const MANAGER = ['org.freedesktop.systemd1', '/org/freedesktop/systemd1', 'org.freedesktop.systemd1.Manager'];
/** Starting this unit would leave a file behind: the proof that a refused start did nothing. */
const CANARY = 'sbx-canary.service';
const CANARY_FILE = '/run/sbx-canary-ran';

interface RoomView {
  id: string;
  config: { width: number; height: number };
  status: { state: string; failure: unknown };
}

/** Reads an RFB server's greeting through the admin's VNC gateway, like noVNC's first steps. */
async function vncHandshake(url: string, origin: string): Promise<{ width: number; height: number }> {
  const ws = new WebSocket(url, { headers: { origin } });
  let buf = Buffer.alloc(0);
  let wake = () => {};
  let closed: string | null = null;
  ws.on('message', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    wake();
  });
  ws.on('close', (code, reason) => {
    closed = `${code} ${reason.toString()}`;
    wake();
  });
  const read = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (buf.length < n) {
      if (closed) throw new Error(`VNC closed: ${closed}`);
      if (Date.now() > deadline) throw new Error(`VNC: ${n} bytes did not arrive (${buf.length})`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_q, res) => reject(new Error(`VNC upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  try {
    expect((await read(12)).toString()).toBe('RFB 003.008\n');
    ws.send(Buffer.from('RFB 003.008\n'));
    expect([...(await read(2))]).toEqual([1, 1]); // security None: the gateway did x11vnc's password
    ws.send(Buffer.from([1]));
    expect((await read(4)).readUInt32BE(0)).toBe(0);
    ws.send(Buffer.from([1])); // ClientInit
    const init = await read(24);
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
  } finally {
    ws.close();
  }
}

describe('the admin service is not root', () => {
  let appliance: Appliance;
  let pages: PageServer;
  let cookie: string;
  let uid: number;

  const sh = async (script: string) => {
    const r = await appliance.exec(['/bin/sh', '-c', script]);
    return { ...r, out: r.stdout.trim() };
  };
  /** As the admin service's user, outside its sandbox: what polkit and file modes alone allow. */
  const asAdmin = (script: string) => sh(`runuser -u streambox -- /bin/sh -c '${script.replace(/'/g, `'\\''`)}'`);
  const busctlAsAdmin = (...args: string[]) => asAdmin(`busctl call ${[...MANAGER, ...args].map((a) => `"${a}"`).join(' ')}`);
  const mainPid = async (unit: string) => Number((await sh(`systemctl show -P MainPID ${unit}`)).out);
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${appliance.baseUrl}${path}`, { ...init, headers: { 'content-type': 'application/json', origin: appliance.baseUrl, cookie, ...(init.headers ?? {}) } });
  const createRoom = async () => {
    const res = await api('/api/rooms', { method: 'POST', body: JSON.stringify({ name: 'root test', startUrl: pages.url('/tone'), width: 640, height: 360 }) });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as RoomView;
  };
  const roomAction = async (id: string, action: 'start' | 'stop') => {
    const res = await api(`/api/rooms/${id}/${action}`, { method: 'POST' });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as RoomView;
  };
  const memberStates = async (id: string) => (await sh(`systemctl is-active ${MEMBERS.map((m) => `${m}@${id}.service`).join(' ')}; true`)).out.split('\n');

  beforeAll(async () => {
    pages = await startPageServer();
    appliance = await bootAppliance({ port: PORT });
    cookie = await appliance.login();
    uid = Number((await sh('id -u streambox')).out);
    expect(uid).toBeGreaterThan(0);
    await sh(`printf '[Service]\\nType=oneshot\\nExecStart=/bin/touch ${CANARY_FILE}\\n' >/run/systemd/system/${CANARY} && systemctl daemon-reload`);
  }, 1_800_000);

  afterAll(async () => {
    await appliance?.stop();
    await pages?.close();
  }, 120_000);

  it('runs as the user streambox with no capabilities', async () => {
    const pid = await mainPid('streambox-admin.service');
    expect(pid).toBeGreaterThan(0);
    const status = (await sh(`cat /proc/${pid}/status`)).out;
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim().split(/\s+/);
    console.log(`streambox-admin MainPID ${pid}: Uid ${field('Uid')?.join(' ')}, Gid ${field('Gid')?.join(' ')}, CapEff ${field('CapEff')}`);
    expect(field('Uid')).toEqual([uid, uid, uid, uid].map(String)); // real, effective, saved, filesystem
    expect(field('CapEff')).toEqual(['0000000000000000']);
    expect(field('CapBnd')).toEqual(['0000000000000000']);
    expect(field('NoNewPrivs')).toEqual(['1']);
  });

  it('still creates, starts, drives (VNC), stops and deletes a room end to end', async () => {
    const room = await createRoom();
    expect(room.status.state).toBe('live');
    expect(await memberStates(room.id)).toEqual(MEMBERS.map(() => 'active'));
    expect((await sh(`stat -c '%a %G' /run/streambox-room/${room.id}`)).out).toBe('710 streambox');

    // The VNC gateway (inside the admin process, no CAP_DAC_OVERRIDE) reaches the room's socket.
    const host = appliance.baseUrl.replace(/^http:\/\//, '');
    const events = new WebSocket(`ws://${host}/api/rooms/${room.id}/events?name=driver`, { headers: { origin: appliance.baseUrl } });
    const welcome = await new Promise<{ you: { id: string; key: string } }>((resolve, reject) => {
      events.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'welcome') resolve(m);
      });
      events.once('unexpected-response', (_q, res) => reject(new Error(`join refused: ${res.statusCode}`)));
      events.once('error', reject);
    });
    try {
      const tokenRes = await api(`/api/rooms/${room.id}/vnc-token`, { method: 'POST', body: JSON.stringify({ participantId: welcome.you.id, participantKey: welcome.you.key }) });
      expect(tokenRes.status, await tokenRes.clone().text()).toBe(200);
      const { token } = (await tokenRes.json()) as { token: string };
      expect(await vncHandshake(`ws://${host}/api/rooms/${room.id}/vnc?token=${token}`, appliance.baseUrl)).toEqual({ width: 640, height: 360 });
    } finally {
      events.close();
    }

    // (Not 'stopped' yet: ffmpeg exits 255 on SIGTERM, so its unit reads failed after a stop.)
    expect((await roomAction(room.id, 'stop')).status.state).not.toMatch(/live|starting/);
    expect(await memberStates(room.id), 'no member left running').not.toContain('active');
    expect((await roomAction(room.id, 'start')).status.state).toBe('live');
    expect((await api(`/api/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await sh(`ls /etc/streambox/rooms/ | grep -c ${room.id}; true`)).out).toBe('0');
    expect((await sh(`systemctl is-active room@${room.id}.target; true`)).out).toBe('inactive');
  }, 180_000);

  it('lets the admin user start and stop only room units, and nothing else happens', async () => {
    const room = await createRoom();
    const browser = `browser@${room.id}.service`;
    const nginxPid = await mainPid('nginx.service');
    const browserPid = await mainPid(browser);
    const passwd = (await sh('sha256sum /etc/passwd')).out;
    expect(nginxPid).toBeGreaterThan(0);
    expect(browserPid).toBeGreaterThan(0);

    // Granted: a room member's restart.
    const restarted = await busctlAsAdmin('RestartUnit', 'ss', `ffmpeg@${room.id}.service`, 'replace');
    expect(restarted.code, restarted.stderr).toBe(0);

    const attempts: Array<[string, () => Promise<{ code: number; stderr: string }>]> = [
      ['StartUnit of a unit that is not a room', () => busctlAsAdmin('StartUnit', 'ss', CANARY, 'replace')],
      ['StopUnit nginx', () => busctlAsAdmin('StopUnit', 'ss', 'nginx.service', 'replace')],
      ['StartTransientUnit (systemd-run)', () => asAdmin(`systemd-run --unit=sbx-transient --wait /bin/touch ${CANARY_FILE}`)],
      ['SetUnitProperties on a room unit', () => busctlAsAdmin('SetUnitProperties', 'sba(sv)', browser, 'true', '1', 'Description', 's', 'owned')],
      ['KillUnit on a room unit', () => busctlAsAdmin('KillUnit', 'ssi', browser, 'all', '9')],
      ['ReloadUnit on a room unit (not a granted verb)', () => busctlAsAdmin('ReloadUnit', 'ss', browser, 'replace')],
      ['RestartUnit of a room recorder (start and stop only)', () => busctlAsAdmin('RestartUnit', 'ss', `recorder@${room.id}.service`, 'replace')],
      // "clean" is granted for browser@ID.service only (its kept profile: Reset browser, delete).
      ['CleanUnit of nginx', () => busctlAsAdmin('CleanUnit', 'sas', 'nginx.service', '2', 'state', 'logs')],
      ['CleanUnit of a room member other than the browser', () => busctlAsAdmin('CleanUnit', 'sas', `ffmpeg@${room.id}.service`, '1', 'state')],
      ['daemon-reload', () => busctlAsAdmin('Reload')],
      ['EnableUnitFiles', () => busctlAsAdmin('EnableUnitFiles', 'asbb', '1', CANARY, 'true', 'true')],
      ['SetEnvironment', () => busctlAsAdmin('SetEnvironment', 'as', '1', 'LD_PRELOAD=/tmp/x.so')],
      ['write /etc/passwd', () => asAdmin('echo "x:x:0:0::/:/bin/sh" >> /etc/passwd')],
    ];
    for (const [what, attempt] of attempts) {
      const r = await attempt();
      console.log(`${what}: exit ${r.code}, ${r.stderr.trim().split('\n').pop()}`);
      expect(r.code, `${what} should be refused`).not.toBe(0);
      // Refused for the right reason (polkit's answer, or the file's mode), not a typo here.
      expect(r.stderr, what).toMatch(what.startsWith('write') ? /Permission denied/ : /Access denied/);
    }

    // Read back: nothing of it happened.
    expect((await sh(`test -e ${CANARY_FILE} && echo ran || echo absent`)).out).toBe('absent');
    expect((await sh(`systemctl is-active ${CANARY} sbx-transient.service; true`)).out.split('\n')).toEqual(['inactive', 'inactive']);
    expect(await mainPid('nginx.service')).toBe(nginxPid);
    expect(await mainPid(browser)).toBe(browserPid);
    expect((await sh(`systemctl show -P Description ${browser}`)).out).not.toBe('owned');
    expect((await sh('systemctl show -P Environment')).out).not.toContain('LD_PRELOAD');
    expect((await sh(`systemctl is-enabled ${CANARY}; true`)).out).not.toBe('enabled');
    expect((await sh('sha256sum /etc/passwd')).out).toBe(passwd);
    expect((await api(`/api/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 180_000);

  it('ignores JobRemoved signals forged by another bus client', async () => {
    const room = await createRoom();
    await roomAction(room.id, 'stop');
    expect(await memberStates(room.id)).not.toContain('active');
    const adminPid = await mainPid('streambox-admin.service');
    const since = (await sh('date +%s')).out;
    // The next job IDs (systemd numbers them in order) all "failed", sent by an unprivileged
    // process straight to the admin's unique name, before the start that will queue them.
    const forged = await sh(`
      set -e
      job=$(busctl call ${MANAGER.join(' ')} StartUnit ss ${CANARY} replace | sed 's|.*/job/\\([0-9]*\\).*|\\1|')
      admin=$(busctl list --no-pager | awk '$2 == ${adminPid} && $1 ~ /^:/ { print $1; exit }')
      test -n "$admin"
      n=0; i=$((job + 1))
      while [ $i -le $((job + 200)) ]; do
        runuser -u nobody -- busctl emit --destination="$admin" /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager JobRemoved uoss $i /org/freedesktop/systemd1/job/$i room@${room.id}.target failed
        i=$((i + 1)); n=$((n + 1))
      done
      echo "$n signals to $admin after job $job"`);
    expect(forged.code, forged.stderr).toBe(0);
    console.log(`forged JobRemoved: ${forged.out}`);

    const started = await roomAction(room.id, 'start');
    expect(started.status.state, 'the start waited for the real jobs').toBe('live');
    expect(started.status.failure).toBeNull();
    expect(await memberStates(room.id)).toEqual(MEMBERS.map(() => 'active'));
    const journal = (await sh(`journalctl -u streambox-admin --since=@${since} --no-pager -o cat`)).out;
    expect(journal).not.toContain('room did not start');
    expect(await mainPid('streambox-admin.service')).toBe(adminPid);
    expect((await api(`/api/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 180_000);

  it('takes over the state a root-run admin service left (an upgraded appliance)', async () => {
    const room = await createRoom();
    // As an older appliance left it: everything root's, both directories 0700.
    await sh(`systemctl stop streambox-admin.service && cd /var/lib/streambox && chown root:root . streambox.db* initial-admin-password /etc/streambox/rooms /etc/streambox/rooms/* && chmod 0700 . /etc/streambox/rooms`);
    expect((await sh('stat -c %U /var/lib/streambox/streambox.db')).out).toBe('root');
    expect((await sh('systemctl start streambox-admin.service; systemctl is-active streambox-admin.service')).out).toBe('active');
    await eventually('health through nginx', async () => (await fetch(`${appliance.baseUrl}/api/health`)).status, (s) => s === 200, 30_000);

    expect((await sh('stat -c "%U %a" /var/lib/streambox/streambox.db /var/lib/streambox/initial-admin-password')).out.split('\n')).toEqual(['streambox 600', 'streambox 600']);
    expect((await sh('stat -c "%U:%G %a" /var/lib/streambox /etc/streambox/rooms /var/lib/streambox/tls')).out.split('\n')).toEqual(['root:streambox 1770', 'root:streambox 770', 'root:root 755']);
    // The same password and sessions (the database was kept), and the room is still there and runs.
    cookie = await appliance.login();
    const got = await api(`/api/rooms/${room.id}`);
    expect(got.status).toBe(200);
    await roomAction(room.id, 'stop');
    expect((await roomAction(room.id, 'start')).status.state).toBe('live');
    expect((await api(`/api/rooms/${room.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 180_000);

  it('keeps its state when streambox-tls runs again (root units beside it in /var/lib/streambox)', async () => {
    expect((await sh('systemctl restart streambox-tls.service; systemctl show -P Result streambox-tls.service')).out).toBe('success');
    expect((await sh('stat -c "%U:%G %a" /var/lib/streambox /var/lib/streambox/streambox.db')).out.split('\n')).toEqual(['root:streambox 1770', 'streambox:streambox 600']);
    const tls = (await (await api('/api/tls')).json()) as { source: string | null };
    expect(tls.source, 'the admin service still reads status.json').not.toBeNull();
    expect((await createRoom()).status.state, 'and still writes its database').toBe('live');
  }, 120_000);

  it('scores below 5 on systemd-analyze security', async () => {
    const r = await sh('systemd-analyze security --no-pager streambox-admin.service');
    const score = /Overall exposure level for streambox-admin\.service: ([\d.]+)/.exec(r.stdout)?.[1];
    console.log(`systemd-analyze security streambox-admin.service: ${score}\n${r.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n')}`);
    expect(score, r.stdout + r.stderr).toBeDefined();
    expect(Number(score)).toBeLessThan(5);
  });
});
