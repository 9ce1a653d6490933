/**
 * Domain errors. Each carries the HTTP status and the machine-readable code the API returns as
 * `{ error: { code, message, field? } }`; http/errors.ts turns them into responses.
 */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502 | 503 | 507,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const invalidArgument = (field: string, message: string) => new AppError(400, 'invalid_argument', `${field}: ${message}`, field);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string) => new AppError(409, 'conflict', message);
export const unauthenticated = (message = 'log in first') => new AppError(401, 'unauthenticated', message);
export const forbidden = (message: string) => new AppError(403, 'permission_denied', message);
export const rateLimited = (retryAfterSeconds: number) =>
  Object.assign(new AppError(429, 'too_many_attempts', `too many failed attempts; try again in ${retryAfterSeconds} s`), { retryAfterSeconds });
/** The host has no room for one more room of this size (rooms/capacity.ts). */
export const capacityExceeded = (message: string) => new AppError(409, 'capacity_exceeded', message);
export const unavailable = (message: string) => new AppError(503, 'unavailable', message);
/** The recordings' disk limits are reached (recordings/limits.ts). */
export const storageFull = (message: string) => new AppError(507, 'recordings_full', message);
