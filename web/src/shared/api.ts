/** fetch() with the API's conventions: JSON in and out, `{ error: { code, message, field? } }` on failure. */
import type { ApiErrorBody } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Seconds, from Retry-After on 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message without its "field: " prefix, capitalised, for showing beside that field. */
  get fieldMessage(): string {
    const text = this.field && this.message.startsWith(`${this.field}: `) ? this.message.slice(this.field.length + 2) : this.message;
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'cannot reach the server; check your connection');
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = (data as ApiErrorBody | null)?.error;
    const retry = Number(res.headers.get('retry-after'));
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `the server answered ${res.status}`, err?.field, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return data as T;
}
