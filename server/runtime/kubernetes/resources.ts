/**
 * A room's resource requests and limits, from the room's cost in cores (rooms/capacity.ts's
 * model, handed in by the composition root: the runtime knows no rooms).
 *
 * The scheduler places a Pod by the sum of its containers' requests, so the requests add up to
 * exactly the room's cost: a node takes as many rooms as its allocatable CPU holds, and a room
 * that fits nowhere stays Pending with PodScheduled=False/Unschedulable (the runtime reports it).
 * The cost is split across the members by what each took, measured on the appliance at 1080p30
 * with an animated page (the units' headers): Xvfb ~12 % of a core, PulseAudio ~1 %, x11vnc
 * under 1 %, Chromium ~70 %, ffmpeg 50-90 % (70 % taken).
 *
 * Limits are the units' CPUQuota= and MemoryMax= (units/*@.service), so a room is held to what it
 * is held to on the appliance. Memory requests are the measured PSS, rounded up: memory is not
 * what limits a room (1080p30 takes ~0.45 GB), and requests at the limits would waste nodes.
 */
import { MEMBER_ROLES, type MemberRole } from '../types.js';

interface MemberBudget {
  /** Share of the room's measured CPU. */
  cpuWeight: number;
  memoryRequest: string;
  cpuLimit: string;
  memoryLimit: string;
}

const MEMBERS: Record<MemberRole, MemberBudget> = {
  display: { cpuWeight: 12, memoryRequest: '128Mi', cpuLimit: '1', memoryLimit: '512Mi' },
  audio: { cpuWeight: 1, memoryRequest: '16Mi', cpuLimit: '500m', memoryLimit: '128Mi' },
  browser: { cpuWeight: 70, memoryRequest: '512Mi', cpuLimit: '1500m', memoryLimit: '1536Mi' },
  input: { cpuWeight: 1, memoryRequest: '16Mi', cpuLimit: '500m', memoryLimit: '128Mi' },
  stream: { cpuWeight: 70, memoryRequest: '256Mi', cpuLimit: '2', memoryLimit: '1Gi' },
};

const TOTAL_WEIGHT = Object.values(MEMBERS).reduce((sum, m) => sum + m.cpuWeight, 0);

export interface Resources {
  requests: Record<string, string>;
  limits: Record<string, string>;
}

/** Millicores, at least 1m (the API refuses 0 for a request that is set). */
function millicores(cores: number): number {
  return Math.max(1, Math.round(cores * 1000));
}

/** Per member; the CPU requests sum to `roomCores` (to the millicore: rounding goes to the browser). */
export function memberResources(roomCores: number): Record<MemberRole, Resources> {
  const total = millicores(roomCores);
  const cpu = {} as Record<MemberRole, number>;
  for (const role of MEMBER_ROLES) cpu[role] = Math.max(1, Math.floor((total * MEMBERS[role].cpuWeight) / TOTAL_WEIGHT));
  cpu.browser = Math.max(1, cpu.browser + total - MEMBER_ROLES.reduce((sum, role) => sum + cpu[role], 0));
  const out = {} as Record<MemberRole, Resources>;
  for (const role of MEMBER_ROLES) {
    const m = MEMBERS[role];
    out[role] = { requests: { cpu: `${cpu[role]}m`, memory: m.memoryRequest }, limits: { cpu: m.cpuLimit, memory: m.memoryLimit } };
  }
  return out;
}

/** The recorder copies the encode without re-encoding (a few % of a core): units/recorder@.service. */
export const RECORDER_RESOURCES: Resources = { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } };

/** Sum of the CPU requests in cores (what the scheduler fits), for tests and logs. */
export function requestedCores(members: Record<MemberRole, Resources>): number {
  return Object.values(members).reduce((sum, r) => sum + Number((r.requests.cpu ?? '0m').replace(/m$/, '')) / 1000, 0);
}
