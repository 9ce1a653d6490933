/**
 * Admission by capacity: what a room costs the host, and whether one more fits.
 *
 * A room's cost is CPU (memory is not the limit: 1080p30 takes ~0.45 GB of 24). The cost model
 * is linear in the pixels the room pushes per second, fitted to measurements on a 2-core AMD EPYC
 * (issue 13; 1080p30 rooms showing an animated page, every member counted: Xvfb, Chromium,
 * PulseAudio, x11vnc, ffmpeg):
 *   1 room  1920x1080@30  48 % of 2 cores  (0.96 cores, with the admin service and nginx)
 *   2 rooms 1920x1080@30  84 %             (0.84 cores a room)  each held 30 fps
 *   3 rooms 1920x1080@30  100 %            27.7-29.0 fps: over capacity
 *   3 rooms 1280x720@30   83 %             (0.55 cores a room)  each held 30 fps
 * giving cores = 0.32 + 0.0084 x megapixels per second. The host's budget is 90 % of its cores
 * (the admin service, nginx and the viewers' connections need the rest), so this 2-core machine
 * admits two 1080p30 rooms or three 720p30 ones. An operator overrides the budget with
 * STREAMBOX_CAPACITY_CORES (cores rooms may use; 0 turns admission off) and the model with
 * STREAMBOX_ROOM_COST (base,perMegapixelPerSecond).
 */
import type { RoomConfig } from './types.js';

export interface CostModel {
  /** Cores a room takes whatever it shows: Chromium, Xvfb, PulseAudio, the encoder's fixed part. */
  baseCores: number;
  /** Cores per million pixels per second (width x height x fps / 1e6) captured and encoded. */
  coresPerMegapixelSecond: number;
}

export const MEASURED_COST: CostModel = { baseCores: 0.32, coresPerMegapixelSecond: 0.0084 };

/** Share of the host's cores rooms may take by default. */
export const DEFAULT_UTILISATION = 0.9;

export interface CapacitySettings {
  /** Cores the rooms together may use; null: admission off (every room is admitted). */
  budgetCores: number | null;
  model: CostModel;
}

type Shape = Pick<RoomConfig, 'width' | 'height' | 'fps'>;

export function roomCost(shape: Shape, model: CostModel): number {
  return model.baseCores + (model.coresPerMegapixelSecond * shape.width * shape.height * shape.fps) / 1e6;
}

export const shapeName = (s: Shape) => `${s.width}x${s.height} ${s.fps} fps`;

export interface Admission {
  ok: boolean;
  /** Cores taken by the rooms already running (or wanted running). */
  usedCores: number;
  budgetCores: number | null;
  /** What the candidate would add. */
  candidateCores: number;
  /** Why not, in a sentence a person can act on (empty when ok). */
  message: string;
  /** How many rooms of the candidate's shape fit now (null: no limit). */
  roomsThatFit: number | null;
}

/** Smaller shapes worth suggesting, largest first. */
const SUGGESTIONS: Shape[] = [
  { width: 1920, height: 1080, fps: 30 },
  { width: 1280, height: 720, fps: 30 },
  { width: 1280, height: 720, fps: 15 },
  { width: 854, height: 480, fps: 30 },
];

/** Does `candidate` fit beside the rooms in `running`? */
export function admit(running: Shape[], candidate: Shape, settings: CapacitySettings): Admission {
  const cost = (s: Shape) => roomCost(s, settings.model);
  const usedCores = running.reduce((sum, s) => sum + cost(s), 0);
  const candidateCores = cost(candidate);
  const budget = settings.budgetCores;
  if (budget === null) return { ok: true, usedCores, budgetCores: null, candidateCores, message: '', roomsThatFit: null };
  const roomsThatFit = Math.max(0, Math.floor((budget - usedCores + 1e-9) / candidateCores));
  if (roomsThatFit > 0) return { ok: true, usedCores, budgetCores: budget, candidateCores, message: '', roomsThatFit };
  return { ok: false, usedCores, budgetCores: budget, candidateCores, message: refusal(running, candidate, usedCores, budget, cost), roomsThatFit };
}

function refusal(running: Shape[], candidate: Shape, used: number, budget: number, cost: (s: Shape) => number): string {
  const name = shapeName(candidate);
  const same = running.filter((s) => shapeName(s) === name).length;
  const fitAlone = Math.floor((budget + 1e-9) / cost(candidate));
  const head =
    same === running.length && running.length > 0
      ? `this host runs ${same} of ${fitAlone} ${name} rooms`
      : `this host's ${running.length === 1 ? '1 running room uses' : `${running.length} running rooms use`} ${used.toFixed(2)} of the ${budget.toFixed(2)} cores rooms may take, and a ${name} room needs ${cost(candidate).toFixed(2)}`;
  if (fitAlone === 0) return `${head}: a ${name} room needs more than this host has (${budget.toFixed(2)} cores for rooms); choose a smaller size or frame rate`;
  const smaller = SUGGESTIONS.find((s) => cost(s) < cost(candidate) && used + cost(s) <= budget + 1e-9);
  return smaller ? `${head}; stop one or choose ${shapeName(smaller)}` : `${head}; stop a room first`;
}

/** Reads STREAMBOX_CAPACITY_CORES and STREAMBOX_ROOM_COST; `cpus` is the host's core count. */
export function loadCapacity(env: NodeJS.ProcessEnv, cpus: number): CapacitySettings {
  const model = parseModel(env.STREAMBOX_ROOM_COST);
  const raw = env.STREAMBOX_CAPACITY_CORES;
  if (raw === undefined || raw === '') return { budgetCores: Math.round(cpus * DEFAULT_UTILISATION * 100) / 100, model };
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`STREAMBOX_CAPACITY_CORES must be a number of cores >= 0 (0 turns admission off), got '${raw}'`);
  return { budgetCores: n === 0 ? null : n, model };
}

function parseModel(raw: string | undefined): CostModel {
  if (raw === undefined || raw === '') return MEASURED_COST;
  const parts = raw.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new Error(`STREAMBOX_ROOM_COST must be "base,perMegapixelPerSecond" in cores (e.g. 0.32,0.0084), got '${raw}'`);
  }
  return { baseCores: parts[0]!, coresPerMegapixelSecond: parts[1]! };
}
