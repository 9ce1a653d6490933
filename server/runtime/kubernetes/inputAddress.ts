/**
 * Where the admin service reaches a room's x11vnc on Kubernetes: the room Pod's IP and VNC_PORT,
 * where its input container listens (members.ts; the rooms' NetworkPolicy lets only the admin
 * service's Pod in). Pure: the runtime reads the Pod, this says what it answers.
 *
 * The kubelet reports status.podIP once the Pod's sandbox has its network ("empty if not yet
 * allocated"), which can be while the Pod is still Pending: only a Running Pod whose input
 * container runs is answered, so that a connection is tried only where x11vnc can be.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodStatus
 */
import type { V1Pod } from '@kubernetes/client-node';
import { VNC_PORT } from './members.js';
import { isDeleting, unschedulable } from './podState.js';

/** The address, or why there is none (and systemd's word for it: no Pod is no unit). */
export type InputAddress = { host: string; port: number } | { result: string; why: string };

export function inputAddress(pod: V1Pod | null): InputAddress {
  if (!pod) return { result: 'NoSuchUnit', why: 'the room has no Pod (it is not running)' };
  if (isDeleting(pod)) return { result: 'no-address', why: 'the room\'s Pod is being deleted' };
  const phase = pod.status?.phase ?? 'Pending';
  if (phase !== 'Running') return { result: 'no-address', why: `the room's Pod is ${phase}${unschedulable(pod) ? ' (no node can run it)' : ''}` };
  const ip = pod.status?.podIP;
  if (!ip) return { result: 'no-address', why: 'the room\'s Pod has no IP address yet' };
  const input = pod.status?.containerStatuses?.find((cs) => cs.name === 'input');
  if (!input?.state?.running) return { result: 'no-address', why: `its input container is not running (${input?.state?.waiting?.reason ?? (input?.state?.terminated ? 'ended' : 'not started')})` };
  return { host: ip, port: VNC_PORT };
}
