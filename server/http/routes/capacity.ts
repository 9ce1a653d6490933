/**
 * GET /api/capacity?width=&height=&fps= (admin): would a room of that shape be admitted now, and
 * why not. The dashboard asks while the new-room form is filled in, so a refusal is shown before
 * anyone submits; CreateRoom and StartRoom apply the same rule (rooms/capacity.ts).
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { requireAdmin } from '../access.js';
import { LIMITS } from '../schemas.js';
import { shapeName } from '../../rooms/capacity.js';

const whole = (name: 'width' | 'height' | 'fps', fallback: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(LIMITS[name].min, { error: `must be at least ${LIMITS[name].min}` })
    .max(LIMITS[name].max, { error: `must be at most ${LIMITS[name].max}` })
    .default(fallback);

const shapeQuery = z.strictObject({ width: whole('width', 1920), height: whole('height', 1080), fps: whole('fps', 30) });

/** The answer: `admitted` with `message` saying why not, the cores in use and the budget (null: admission off). */
export interface CapacityAnswer {
  shape: string;
  admitted: boolean;
  message: string;
  usedCores: number;
  budgetCores: number | null;
  roomCores: number;
  /** How many more rooms of this shape fit now (null: no limit). */
  roomsThatFit: number | null;
}

export function capacityRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().use(requireAdmin(ctx)).get('/', validate('query', shapeQuery), (c) => {
    const shape = c.req.valid('query');
    const a = ctx.rooms.admission(shape);
    const answer: CapacityAnswer = {
      shape: shapeName(shape),
      admitted: a.ok,
      message: a.message,
      usedCores: round(a.usedCores),
      budgetCores: a.budgetCores,
      roomCores: round(a.candidateCores),
      roomsThatFit: a.roomsThatFit,
    };
    return c.json(answer);
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
