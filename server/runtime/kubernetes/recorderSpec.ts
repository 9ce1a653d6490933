/**
 * A room's recorder as its own Pod (units/recorder@.service: not a member, it runs only while the
 * room records). Pure.
 *
 * - `recorder-ID`, owned by the room's Pod: the unit was PartOf= the room, so stopping or deleting
 *   the room stops the recording; here the garbage collector deletes the recorder with the room.
 * - restartPolicy Never: the unit had Restart=no, because a restart would truncate the file.
 * - Its source URL carries a playback token: it goes in the Secret `recorder-ID` (owned by the
 *   recorder's Pod), as the unit read it from its own env file.
 * - It writes `ID/current.mp4` on the recordings claim, mounted where the appliance keeps them
 *   (the admin service mounts the same claim as its recordings directory and made the file first).
 */
import type { V1OwnerReference, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { RecordingSpec } from '../types.js';
import { recorderEnvVars } from '../roomEnv.js';
import { labels, recorderPodName, recorderSecretName } from './names.js';
import { RECORDER_RESOURCES } from './resources.js';
import { shellWord } from './members.js';
import { ROOM_UID } from './podSpec.js';

export interface RecorderOptions {
  namespace: string;
  image: string;
  /** The PersistentVolumeClaim holding the recordings (shared with the admin service). */
  recordingsClaim: string;
}

const RECORDINGS_DIR = '/var/lib/streambox/recordings';

/** units/recorder@.service's ExecStart=, word for word (test/k8s/members.test.ts compares them). */
export const RECORDER_ARGV = [
  '/usr/bin/ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'warning', '-rw_timeout', '10000000',
  '-i', '${RECORD_SOURCE_URL}', '-map', '0:v', '-map', '0:a', '-c', 'copy',
  '-f', 'mp4', '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-flush_packets', '1', 'pipe:1',
];

/** Made before its Pod (so the Pod never waits for it), then owned by the Pod once that exists. */
export function recorderSecret(spec: RecordingSpec, opts: RecorderOptions, owner?: V1OwnerReference): V1Secret {
  const data = Object.fromEntries(Object.entries(recorderEnvVars(spec)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: recorderSecretName(spec.roomId), namespace: opts.namespace, labels: labels(spec.roomId, 'recorder'), ...(owner ? { ownerReferences: [owner] } : {}) }, type: 'Opaque', data };
}

export function recorderPod(spec: RecordingSpec, opts: RecorderOptions, roomPodOwner: V1OwnerReference): V1Pod {
  // StandardOutput=truncate: was systemd opening the file for ffmpeg; here the shell does.
  const script = `exec ${RECORDER_ARGV.map(shellWord).join(' ')} > ${shellWord(`${RECORDINGS_DIR}/${spec.roomId}/current.mp4`)}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: recorderPodName(spec.roomId), namespace: opts.namespace, labels: labels(spec.roomId, 'recorder'), ownerReferences: [roomPodOwner] },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: ROOM_UID, runAsGroup: ROOM_UID, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [{ name: 'recordings', persistentVolumeClaim: { claimName: opts.recordingsClaim } }],
      containers: [
        {
          name: 'recorder',
          image: opts.image,
          command: ['/bin/sh', '-c', script],
          env: Object.keys(recorderEnvVars(spec)).map((name) => ({ name, valueFrom: { secretKeyRef: { name: recorderSecretName(spec.roomId), key: name } } })),
          volumeMounts: [{ name: 'recordings', mountPath: `${RECORDINGS_DIR}/${spec.roomId}`, subPath: spec.roomId }],
          resources: RECORDER_RESOURCES,
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
      ],
    },
  };
}
