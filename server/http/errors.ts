/** The one place errors become HTTP responses: `{ error: { code, message, field? } }`. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import { AppError, invalidArgument } from '../errors.js';
import { RuntimeUnavailableError } from '../runtime/types.js';
import type { Logger } from '../log.js';

export function errorBody(code: string, message: string, field?: string) {
  return { error: field ? { code, message, field } : { code, message } };
}

export function handleError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof AppError) {
      const retry = (err as AppError & { retryAfterSeconds?: number }).retryAfterSeconds;
      if (retry) c.header('Retry-After', String(retry));
      return c.json(errorBody(err.code, err.message, err.field), err.status);
    }
    if (err instanceof RuntimeUnavailableError) return c.json(errorBody('unavailable', err.message), 503);
    // SQLite could not write: the disk under the data directory is full. The write was rolled
    // back (nothing half-made); the same call works once there is space again.
    if ((err as { code?: unknown }).code === 'SQLITE_FULL') {
      log.error('database write refused: disk full', { path: c.req.path });
      return c.json(errorBody('storage_full', 'the appliance\'s disk is full (its data directory, /var/lib/streambox): nothing was changed; free some space, then try again'), 507);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status === 413) return c.json(errorBody('payload_too_large', 'the request body is too large', 'body'), 413);
      if (status < 500) return c.json(errorBody('invalid_argument', `body: ${err.message}`, 'body'), status);
    }
    log.error('unhandled error', { path: c.req.path, err: err.stack ?? err.message });
    return c.json(errorBody('internal', 'something went wrong on the server; see its journal'), 500);
  };
}

/** The first problem zod found, as an invalid_argument naming the field. */
export function fromZodError(error: z.core.$ZodError): AppError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
  let message = issue?.message ?? 'is invalid';
  if (issue?.code === 'unrecognized_keys') return invalidArgument(issue.keys.join(', '), 'is not a known field');
  if (issue?.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
  return invalidArgument(field, message);
}
