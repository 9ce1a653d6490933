/**
 * A room's Pod and Secret, as the kubernetes runtime builds them (server/runtime/kubernetes/
 * podSpec.ts), in the terms of Debian 12's podman 4.3 `kube play`, which reads Pods, ConfigMaps
 * and the hostPath, emptyDir and persistentVolumeClaim volumes only (podman-kube-play(1), 4.3).
 * Only what it cannot read is rewritten, each the way a kubelet would have served it:
 *
 * - the Secret (no `kind: Secret` in 4.3): its keys become files in a host directory, mounted where
 *   the secret volume was (the kubelet writes a secret volume's keys as files, mode defaultMode);
 *   the env taken from it (`secretKeyRef`) becomes plain values, as the kubelet resolves them before
 *   the container starts;
 * - `subPath` mounts of that volume: a hostPath volume of the one file (the kubelet bind-mounts the
 *   key's file);
 * - startup probes and liveness probes: podman runs probes as systemd timers of the host and
 *   restarts nothing on a failed one (4.3); the restart policy Always, which the test relies on,
 *   is read as it is;
 * - the seccomp profile fields become the annotations podman reads
 *   (`seccomp.security.alpha.kubernetes.io/pod`, `container.seccomp.security.alpha.kubernetes.io/NAME`).
 *
 * Everything else (commands, env, users, read-only roots, capabilities, resources, restart policy,
 * the emptyDir of /tmp shared by the five) goes to podman as the runtime wrote it.
 */
import { mkdirSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod, V1Secret, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** The Pod for podman: `secretDir` receives the Secret's keys as files (owned by the Pod's group). */
export function podForPodman(pod: V1Pod, secret: V1Secret, secretDir: string): V1Pod {
  const out = structuredClone(pod);
  const spec = out.spec!;
  const data = decodeSecret(secret);
  const gid = spec.securityContext?.fsGroup ?? 0;
  mkdirSync(secretDir, { recursive: true, mode: 0o750 });
  chownSync(secretDir, 0, gid);
  for (const [key, value] of Object.entries(data)) {
    const file = join(secretDir, key);
    writeFileSync(file, value, { mode: 0o440 });
    chownSync(file, 0, gid);
  }

  const secretVolumes = new Set((spec.volumes ?? []).filter((v) => v.secret?.secretName === secret.metadata?.name).map((v) => v.name));
  const volumes: V1Volume[] = (spec.volumes ?? []).map((v) => (secretVolumes.has(v.name) ? { name: v.name, hostPath: { path: secretDir, type: 'Directory' } } : stripEmptyDir(v)));
  const annotations: Record<string, string> = { ...(out.metadata?.annotations ?? {}) };
  const podSeccomp = spec.securityContext?.seccompProfile?.type;
  if (podSeccomp) annotations['seccomp.security.alpha.kubernetes.io/pod'] = seccompWord(podSeccomp);
  if (spec.securityContext) delete spec.securityContext.seccompProfile;

  for (const c of spec.containers) {
    c.env = (c.env ?? []).map((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) return e;
      if (ref.name !== secret.metadata?.name || !(ref.key in data)) throw new Error(`${c.name}: env ${e.name} names ${ref.name}/${ref.key}, which the Secret lacks`);
      return { name: e.name, value: data[ref.key] };
    });
    const mounts: V1VolumeMount[] = [];
    for (const m of c.volumeMounts ?? []) {
      if (!m.subPath) {
        mounts.push(m);
        continue;
      }
      if (!secretVolumes.has(m.name)) throw new Error(`${c.name}: subPath on volume ${m.name}: only the Secret's are translated`);
      const name = `${c.name}-${m.subPath.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
      volumes.push({ name, hostPath: { path: join(secretDir, m.subPath), type: 'File' } });
      mounts.push({ name, mountPath: m.mountPath, readOnly: m.readOnly });
    }
    c.volumeMounts = mounts;
    delete c.startupProbe;
    delete c.livenessProbe;
    const seccomp = c.securityContext?.seccompProfile?.type;
    if (seccomp) annotations[`container.seccomp.security.alpha.kubernetes.io/${c.name}`] = seccompWord(seccomp);
    if (c.securityContext) delete c.securityContext.seccompProfile;
  }
  spec.volumes = volumes;
  out.metadata = { ...out.metadata, annotations };
  return out;
}

function decodeSecret(secret: V1Secret): Record<string, string> {
  const out: Record<string, string> = { ...(secret.stringData ?? {}) };
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/** podman 4.3 reads an emptyDir as an anonymous volume; its medium and size are not its to read. */
function stripEmptyDir(v: V1Volume): V1Volume {
  return v.emptyDir ? { name: v.name, emptyDir: {} } : v;
}

function seccompWord(type: string): string {
  if (type === 'Unconfined') return 'unconfined';
  if (type === 'RuntimeDefault') return 'runtime/default';
  throw new Error(`seccomp profile ${type}: not translated`);
}
