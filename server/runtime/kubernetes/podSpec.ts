/**
 * A room as Kubernetes objects, built from its RoomSpec. Pure: the runtime sends what this returns.
 *
 * - The Secret `room-ID` holds the whole spec: the variables every member reads (roomEnv.ts, the
 *   systemd runtime's env file), the VNC password, the kiosk's policy and the encoder's keys. The
 *   Pod names it and nothing of the spec is in the Pod itself (its env takes each variable from the
 *   Secret), so `kubectl get pod -o yaml` shows no key, start URL or password.
 * - The Pod `room-ID`: the five members (members.ts) with restartPolicy Always, their probes and the
 *   room's requests and limits (resources.ts). No service account token: a room never talks to
 *   the API. Not owned by anything: the admin service deletes it; the Secret is owned by the Pod
 *   (the runtime adds the owner reference once the Pod exists), so deleting the Pod by any means
 *   takes the Secret with it.
 * - A room that keeps logins mounts the claim `profile-ID` where the systemd runtime's
 *   StateDirectory= is; the claim is not owned by the Pod (it outlives stops), remove() deletes it.
 */
import type { V1Container, V1EnvVar, V1PersistentVolumeClaim, V1Pod, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { MEMBER_ROLES, type MemberRole, type RoomSpec } from '../types.js';
import { formatPolicyFile, profileDir, roomEnvVars } from '../roomEnv.js';
import { MEMBERS, SECRET_DIR, VNC_PORT, memberScript, type MemberDef } from './members.js';
import { memberResources, type Resources } from './resources.js';
import { labels, profileClaimName, roomPodName, roomSecretName } from './names.js';

export interface PodOptions {
  namespace: string;
  /** The room image (built from provisioning/: Xvfb, PulseAudio, Chromium, x11vnc, ffmpeg). */
  image: string;
  /** ffmpeg publishes to `${rtmpUrlBase}/ID` (nginx-rtmp's Service). */
  rtmpUrlBase: string;
  /** What the room costs, in cores (rooms/capacity.ts): the sum of its CPU requests. */
  cores: number;
  /** The kept profile's size, for rooms that keep logins. */
  profileSize: string;
}

/** The room's user inside its containers: one UID for the five, as the units' one dynamic user. */
export const ROOM_UID = 10001;
/** systemd's TimeoutStopSec=5s: members hold no state worth waiting for. */
export const STOP_GRACE_SECONDS = 5;
const POLICY_KEY = 'policy.json';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The keys of the room's Secret, as text. */
export function secretEntries(spec: RoomSpec, rtmpUrlBase: string): Record<string, string> {
  const entries: Record<string, string> = { ...roomEnvVars(spec, rtmpUrlBase), vncpass: `${spec.vncPassword}\n`, [POLICY_KEY]: formatPolicyFile(spec) };
  if (spec.encoderFiles) {
    entries['rtmp.ffpreset'] = spec.encoderFiles.rtmpPreset;
    entries['ingest.meta'] = spec.encoderFiles.ingestMetadata;
  }
  return entries;
}

export function roomSecret(spec: RoomSpec, opts: Pick<PodOptions, 'namespace' | 'rtmpUrlBase'>): V1Secret {
  const data = Object.fromEntries(Object.entries(secretEntries(spec, opts.rtmpUrlBase)).map(([k, v]) => [k, b64(v)]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: roomSecretName(spec.id), namespace: opts.namespace, labels: labels(spec.id, 'room') }, type: 'Opaque', data };
}

export function profileClaim(roomId: string, opts: Pick<PodOptions, 'namespace' | 'profileSize'>): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: profileClaimName(roomId), namespace: opts.namespace, labels: labels(roomId, 'profile') },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: opts.profileSize } } },
  };
}

function probe(check: string, periodSeconds: number, failureThreshold: number) {
  return { exec: { command: ['/bin/sh', '-c', check] }, periodSeconds, failureThreshold, timeoutSeconds: 2 };
}

function container(role: MemberRole, def: MemberDef, spec: RoomSpec, opts: PodOptions, secretKeys: Set<string>, resources: Resources): V1Container {
  const fromSecret = Object.keys(roomEnvVars(spec, opts.rtmpUrlBase)).map((name): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: roomSecretName(spec.id), key: name } } }));
  const plain = Object.entries(def.env).map(([name, value]): V1EnvVar => ({ name, value }));
  const mounts: V1VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  // Only the keys this member reads (LoadCredential= named each file per unit); a key the spec
  // lacks (no encoder files) is left out, and the member fails loudly on the missing file.
  for (const key of def.files.filter((k) => secretKeys.has(k))) mounts.push({ name: 'spec', mountPath: `${SECRET_DIR}/${key}`, subPath: key, readOnly: true });
  if (role === 'browser') {
    // The room's URL allowlist over the image's placeholder (browser@.service's BindReadOnlyPaths=).
    mounts.push({ name: 'spec', mountPath: '/etc/chromium/policies/managed/url-allowlist.json', subPath: POLICY_KEY, readOnly: true });
    mounts.push({ name: 'shm', mountPath: '/dev/shm' });
    if (spec.keepLogins) mounts.push({ name: 'profile', mountPath: profileDir(spec) });
  }
  const c: V1Container = {
    name: role,
    image: opts.image,
    command: ['/bin/sh', '-c', memberScript(def)],
    env: [...fromSecret, ...plain],
    volumeMounts: mounts,
    resources,
    livenessProbe: probe(def.alive, 5, 3),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      // Chromium confines its renderers itself (user namespaces, its own seccomp-bpf filters), which
      // the runtime's default profile refuses; the other members keep it (the units' SystemCallFilter=).
      seccompProfile: { type: role === 'browser' ? 'Unconfined' : 'RuntimeDefault' },
    },
  };
  // Up to 10 s, as the units' `timeout 10` readiness checks.
  if (def.started) c.startupProbe = probe(def.started, 1, 10);
  if (def.postStart) c.lifecycle = { postStart: { exec: { command: ['/bin/sh', '-c', def.postStart] } } };
  if (role === 'input') c.ports = [{ name: 'vnc', containerPort: VNC_PORT, protocol: 'TCP' }];
  return c;
}

export function roomPod(spec: RoomSpec, opts: PodOptions): V1Pod {
  const secretKeys = new Set(Object.keys(secretEntries(spec, opts.rtmpUrlBase)));
  const resources = memberResources(opts.cores);
  const volumes: V1Volume[] = [
    { name: 'tmp', emptyDir: { sizeLimit: '2Gi' } },
    // Chromium's shared memory: a container's own /dev/shm is 64 MiB, which heavy pages outgrow.
    { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '512Mi' } },
    { name: 'spec', secret: { secretName: roomSecretName(spec.id), defaultMode: 0o440 } },
  ];
  if (spec.keepLogins) volumes.push({ name: 'profile', persistentVolumeClaim: { claimName: profileClaimName(spec.id) } });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: roomPodName(spec.id), namespace: opts.namespace, labels: labels(spec.id, 'room') },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: STOP_GRACE_SECONDS,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: ROOM_UID, runAsGroup: ROOM_UID, fsGroup: ROOM_UID, seccompProfile: { type: 'RuntimeDefault' } },
      volumes,
      containers: MEMBER_ROLES.map((role) => container(role, MEMBERS[role], spec, opts, secretKeys, resources[role])),
    },
  };
}
