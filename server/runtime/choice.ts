/**
 * Which runtime runs the rooms, and its settings, from the environment: STREAMBOX_RUNTIME=systemd
 * (the appliance: units over D-Bus, the default) or kubernetes (a Pod per room, scheduled across a
 * cluster's nodes), with the STREAMBOX_K8S_* settings. Pure: server/main.ts builds the runtime.
 */

export interface KubernetesSettings {
  /** STREAMBOX_K8S_KUBECONFIG: a kubeconfig file (development); null: in the cluster, the Pod's service account. */
  kubeconfig: string | null;
  /** STREAMBOX_K8S_NAMESPACE: where the rooms go; null: the service account's (or the kubeconfig context's) namespace. */
  namespace: string | null;
  /** STREAMBOX_K8S_ROOM_IMAGE: the room image (also the recorder's). Required. */
  roomImage: string;
  /** STREAMBOX_K8S_RTMP_URL: where the encoders publish (nginx-rtmp's Service), `/ID` appended. */
  rtmpUrlBase: string;
  /** STREAMBOX_K8S_RECORDINGS_CLAIM: the PersistentVolumeClaim the recorders write and the admin service reads. */
  recordingsClaim: string;
  /** STREAMBOX_K8S_PROFILE_SIZE: the claim a room that keeps logins gets for its browser profile. */
  profileSize: string;
}

export type RuntimeChoice = { kind: 'systemd' } | { kind: 'kubernetes'; kubernetes: KubernetesSettings };

const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;

export function loadRuntimeChoice(env: NodeJS.ProcessEnv): RuntimeChoice {
  const kind = env.STREAMBOX_RUNTIME || 'systemd';
  if (kind === 'systemd') return { kind };
  if (kind !== 'kubernetes') throw new Error(`STREAMBOX_RUNTIME must be systemd or kubernetes, got '${kind}'`);
  const roomImage = env.STREAMBOX_K8S_ROOM_IMAGE;
  if (!roomImage) throw new Error('STREAMBOX_RUNTIME=kubernetes needs STREAMBOX_K8S_ROOM_IMAGE: the room image the Pods run, e.g. registry.example.org/streambox-room:0.1.0');
  const rtmpUrlBase = (env.STREAMBOX_K8S_RTMP_URL || 'rtmp://streambox-rtmp:1935/live').replace(/\/$/, '');
  if (!/^rtmps?:\/\/[^/]+/.test(rtmpUrlBase)) throw new Error(`STREAMBOX_K8S_RTMP_URL must be an rtmp:// URL (nginx-rtmp's Service), got '${rtmpUrlBase}'`);
  const profileSize = env.STREAMBOX_K8S_PROFILE_SIZE || '1Gi';
  if (!QUANTITY.test(profileSize)) throw new Error(`STREAMBOX_K8S_PROFILE_SIZE must be a storage quantity such as 1Gi, got '${profileSize}'`);
  return {
    kind,
    kubernetes: {
      kubeconfig: env.STREAMBOX_K8S_KUBECONFIG || null,
      namespace: env.STREAMBOX_K8S_NAMESPACE || null,
      roomImage,
      rtmpUrlBase,
      recordingsClaim: env.STREAMBOX_K8S_RECORDINGS_CLAIM || 'streambox-recordings',
      profileSize,
    },
  };
}
