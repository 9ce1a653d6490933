/**
 * The five members of a room as containers: the units' ExecStart= lines (units/*@.service), in a
 * container's terms. The program and its arguments are the unit's, word for word
 * (test/k8s/members.test.ts compares them, so a change to a unit's command that is not made here
 * fails); what systemd did around them is done by the container's shell prelude and its probes:
 *
 * - ExecStartPre= (directories, stale sockets and locks) is the prelude, run at every start of
 *   the container, as systemd ran it at every start of the unit.
 * - After=/BindsTo= the display and audio: the prelude waits until their sockets exist (a check,
 *   never a fixed sleep), and the liveness probe fails when they are gone, so the kubelet restarts
 *   a member whose display or sound went away, as BindsTo= stopped it and Upholds= started it.
 * - ExecStartPost= readiness checks are startup probes: a member counts as started (the runtime's
 *   `active`) only when its socket answers, as systemd's job finished only after ExecStartPost=.
 * - Restart= and the target's Upholds= are the Pod's restartPolicy: Always.
 * - LoadCredential= files are keys of the room's Secret, mounted read-only at SECRET_DIR.
 *
 * The shared /tmp (PrivateTmp= + JoinsNamespaceOf=) is one emptyDir mounted at /tmp in all five:
 * the X socket (/tmp/.X11-unix), PulseAudio's (/tmp/pulse.sock), the kiosk's fresh profile. The
 * containers of a Pod share one IPC namespace, as PrivateIPC= did, for MIT-SHM between Xvfb and
 * the grabber. Kubernetes expands `$(NAME)` in commands: nothing here uses that syntax, every
 * variable is the shell's (`${NAME}`, as in the units).
 */
import type { MemberRole } from '../types.js';

/** Where the room's Secret keys are mounted (systemd's %d, the credentials directory). */
export const SECRET_DIR = '/run/streambox';
export const VNC_PORT = 5900;

const X_SOCKET = '/tmp/.X11-unix/X${ROOM_DISPLAY}';
const PULSE_SOCKET = '/tmp/pulse.sock';

export interface MemberDef {
  /** The unit's program and arguments, `${NAME}` expanded by the shell. */
  argv: string[];
  /** Shell lines run before `exec argv` at every start of the container. */
  prelude: string[];
  /** Variables the unit sets with Environment=. */
  env: Record<string, string>;
  /** Secret keys the member reads as files in SECRET_DIR (the unit's LoadCredential=). */
  files: string[];
  /** A shell check: the member has started (its ExecStartPost= readiness). */
  started: string | null;
  /** A shell check: the member and what it is bound to are still there. */
  alive: string;
  /** Commands run once after the start (the unit's ExecStartPost= that configure it). */
  postStart?: string;
}

/** Waits, checking, until every socket exists (the prelude's After=). */
function waitFor(...sockets: string[]): string {
  return `until ${sockets.map((s) => `[ -S "${s}" ]`).join(' && ')}; do sleep 0.1; done`;
}

const socketsExist = (...sockets: string[]) => sockets.map((s) => `[ -S "${s}" ]`).join(' && ');

export const MEMBERS: Record<MemberRole, MemberDef> = {
  display: {
    argv: ['/usr/bin/Xvfb', ':${ROOM_DISPLAY}', '-screen', '0', '${ROOM_WIDTH}x${ROOM_HEIGHT}x24', '-nolisten', 'tcp', '-nolisten', 'local', '-noreset', '-extension', 'GLX', '-dpi', '96'],
    // An unprivileged X server does not create /tmp/.X11-unix itself; a socket and lock of an
    // Xvfb killed with SIGKILL stay in the shared /tmp.
    prelude: ['mkdir -p -m 1777 /tmp/.X11-unix', `rm -f "${X_SOCKET}" "/tmp/.X\${ROOM_DISPLAY}-lock"`],
    env: { HOME: '/tmp' },
    files: [],
    started: socketsExist(X_SOCKET),
    alive: socketsExist(X_SOCKET),
  },
  audio: {
    argv: [
      '/usr/bin/pulseaudio', '--daemonize=no', '--system=no', '-n',
      '--exit-idle-time=-1', '--disallow-exit', '--use-pid-file=no',
      '--realtime=no', '--high-priority=no', '--log-target=stderr',
      '-L', 'module-null-sink sink_name=room rate=48000 channels=2 sink_properties=device.description=room',
      '-L', 'module-native-protocol-unix socket=/tmp/pulse.sock auth-anonymous=1 auth-cookie-enabled=0',
      '-L', 'module-always-sink',
      '--disallow-module-loading',
    ],
    prelude: ['mkdir -p -m 0700 /tmp/pulse-runtime'],
    env: { HOME: '/tmp', XDG_RUNTIME_DIR: '/tmp/pulse-runtime', PULSE_SERVER: `unix:${PULSE_SOCKET}` },
    files: [],
    started: 'pactl info >/dev/null 2>&1',
    alive: 'pactl info >/dev/null 2>&1',
    postStart: 'timeout 10 sh -c "until pactl info >/dev/null 2>&1; do sleep 0.05; done" && pactl set-default-sink room',
  },
  browser: {
    argv: [
      '/usr/lib/chromium/chromium', '--display=:${ROOM_DISPLAY}',
      '--kiosk', '--no-first-run', '--no-default-browser-check', '--noerrdialogs',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions', '--disable-pings', '--media-router=0',
      '--disable-breakpad', '--disable-session-crashed-bubble', '--disable-infobars',
      '--disable-features=Translate,MediaRouter,OptimizationHints',
      '--password-store=basic', '--use-mock-keychain',
      '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
      '--window-position=0,0', '--window-size=${ROOM_WIDTH},${ROOM_HEIGHT}',
      '--user-data-dir=${ROOM_PROFILE_DIR}',
      '--', '${ROOM_START_URL}',
    ],
    prelude: [
      waitFor(X_SOCKET, PULSE_SOCKET),
      // A fresh profile at every start (the kept one lives elsewhere); a lock left by a Chromium
      // that was killed names a PID that may be another process's by now.
      'rm -rf /tmp/chromium /tmp/chromium-tmp /tmp/home',
      'mkdir -p "${ROOM_PROFILE_DIR}" /tmp/chromium-tmp /tmp/home',
      'rm -f "${ROOM_PROFILE_DIR}/SingletonLock" "${ROOM_PROFILE_DIR}/SingletonCookie" "${ROOM_PROFILE_DIR}/SingletonSocket"',
    ],
    env: { HOME: '/tmp/home', XDG_CONFIG_HOME: '/tmp/home/.config', XDG_CACHE_HOME: '/tmp/home/.cache', TMPDIR: '/tmp/chromium-tmp', PULSE_SERVER: `unix:${PULSE_SOCKET}` },
    files: [],
    started: null,
    alive: socketsExist(X_SOCKET, PULSE_SOCKET),
  },
  input: {
    // The unit listens on a unix socket the admin service reaches on the same machine; here the
    // admin service is in another Pod, so x11vnc listens on VNC_PORT (password required, and the
    // NetworkPolicy of deploy/ lets only the admin service in).
    argv: [
      '/usr/local/lib/streambox/x11vnc-clipboard', '/usr/bin/x11vnc', '-display', ':${ROOM_DISPLAY}', '-nofb',
      '-rfbport', String(VNC_PORT),
      '-passwdfile', `${SECRET_DIR}/vncpass`, '-forever', '-shared',
      '-norc', '-nocmds', '-noremote', '-noipv6', '-nolookup', '-nossl', '-xkb', '-noprimary', '-nosetprimary', '-noxrecord', '-quiet',
    ],
    prelude: [waitFor(X_SOCKET)],
    env: { HOME: '/tmp', X11VNC_AVOID_WINDOWS: 'never' },
    files: ['vncpass'],
    // Listening, read from the kernel's table: a probe that connected would be x11vnc's first
    // client, which starts its clipboard's 15 s wait (units/x11vnc@.service).
    started: `grep -qi ' 00000000:${VNC_PORT.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A' /proc/net/tcp`,
    alive: socketsExist(X_SOCKET),
  },
  stream: {
    argv: [
      '/usr/bin/ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'warning', '-copyts',
      '-thread_queue_size', '64', '-f', 'x11grab', '-draw_mouse', '0', '-framerate', '${ROOM_FPS}',
      '-video_size', '${ROOM_WIDTH}x${ROOM_HEIGHT}', '-i', ':${ROOM_DISPLAY}',
      '-thread_queue_size', '1024', '-itsoffset', '0.12', '-f', 'pulse', '-fragment_size', '1920', '-sample_rate', '48000', '-channels', '2', '-i', 'room.monitor',
      '-map', '0:v', '-map', '1:a',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
      '-g', '${ROOM_KEYFRAME_INTERVAL}', '-keyint_min', '${ROOM_KEYFRAME_INTERVAL}', '-sc_threshold', '0',
      '-b:v', '${ROOM_VIDEO_BITRATE_KBPS}k', '-maxrate', '${ROOM_VIDEO_BITRATE_KBPS}k',
      '-bufsize', '${ROOM_VIDEO_BITRATE_KBPS}k',
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-ac', '2',
      '-flags', '+global_header', '-avoid_negative_ts', 'make_zero', '-flush_packets', '1',
      '-fpre', `${SECRET_DIR}/rtmp.ffpreset`, '-/metadata', `${SECRET_DIR}/ingest.meta`,
      '-f', 'tee', '[f=flv:onfail=abort:use_fifo=1]${ROOM_RTMP_URL}|[f=flv:select=v:onfail=abort]${ROOM_RELAY_URL}video|[f=flv:select=a:onfail=abort]${ROOM_RELAY_URL}audio',
    ],
    prelude: [waitFor(X_SOCKET, PULSE_SOCKET)],
    env: { HOME: '/tmp', PULSE_SERVER: `unix:${PULSE_SOCKET}` },
    files: ['rtmp.ffpreset', 'ingest.meta'],
    started: null,
    alive: socketsExist(X_SOCKET, PULSE_SOCKET),
  },
};

/** One word for sh, in double quotes so that `${NAME}` still expands (and nothing else does). */
export function shellWord(word: string): string {
  return `"${word.replace(/["\\`]/g, (c) => `\\${c}`)}"`;
}

/** The container's whole command: the prelude, then `exec` the program (it becomes the main process and gets the SIGTERM). */
export function memberScript(def: MemberDef): string {
  return [...def.prelude, `exec ${def.argv.map(shellWord).join(' ')}`].join('\n');
}
