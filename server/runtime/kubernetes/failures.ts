/**
 * The API's failures in the runtime's terms (types.ts), as the rooms service acts on them:
 * - no answer (KubeUnreachableError), 401/403 (the admin service's credentials or Role) and 5xx
 *   → RuntimeUnavailableError: the runtime cannot be used now (the API answers 503);
 * - any other error Status (400, 404, 409, 422 ...) → RuntimeJobError naming the object: the
 *   object itself is the problem, as systemd's NoSuchUnit or LoadFailed were.
 */
import { RuntimeJobError, RuntimeUnavailableError, type MemberRole } from '../types.js';
import { KubeApiError, KubeUnreachableError } from './api.js';

export function runtimeError(err: unknown, unit: string, role: MemberRole | null, server: string): unknown {
  if (err instanceof RuntimeJobError || err instanceof RuntimeUnavailableError) return err;
  if (err instanceof KubeUnreachableError) return new RuntimeUnavailableError(`the Kubernetes API is not reachable (${server}): ${err.message}`);
  if (!(err instanceof KubeApiError)) return err;
  if (err.code === 401 || err.code === 403) return new RuntimeUnavailableError(`the Kubernetes API refused the admin service (${err.reason || err.code}): ${err.message}; see its ServiceAccount's Role`);
  if (err.code >= 500) return new RuntimeUnavailableError(`the Kubernetes API failed (${err.code}): ${err.message}`);
  return new RuntimeJobError(unit, err.reason || String(err.code), `${unit}: ${err.message}`, role);
}
