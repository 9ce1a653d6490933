/**
 * What a page may send on the room channel, as a schema of the shapes in protocol/roomChannel.ts:
 * the hub checks every message against it before anything reads it, and joiners' names too.
 */
import { z } from 'zod';
import { isCleanText } from '../http/text.js';
import { chatMessageSchemas } from './chatRelay.js';
import { NAME_MAX_CHARS, PARTICIPANT_ID_MAX_CHARS, SIMPLE_ACTIONS, TARGETED_ACTIONS, type ClientMessage } from '../../protocol/roomChannel.js';

export const nameSchema = z.string().trim().min(1).max(NAME_MAX_CHARS).refine(isCleanText); // no control or bidi-override characters

export const messageSchema: z.ZodType<ClientMessage> = z.discriminatedUnion('type', [
  z.object({ type: z.enum(SIMPLE_ACTIONS) }),
  z.object({ type: z.enum(TARGETED_ACTIONS), to: z.string().max(PARTICIPANT_ID_MAX_CHARS) }),
  z.object({ type: z.literal('cursor'), x: z.number().min(0).max(1), y: z.number().min(0).max(1) }),
  z.object({ type: z.literal('rename'), name: nameSchema }),
  ...chatMessageSchemas,
]);
