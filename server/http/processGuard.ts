/**
 * The last line of defence: a client's socket error (a reset, a broken pipe) that some listener
 * failed to catch is logged and survived; anything else is a bug and still ends the process
 * (systemd restarts it), as Node's default would, after logging it.
 */
import type { Logger } from '../log.js';

/** Errors a remote peer can cause on a socket: never a reason to take the service down. */
const PEER_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_EOF_STATE']);
const SOCKET_SYSCALLS = new Set(['read', 'write', 'writev', 'shutdown', undefined]);

export function isPeerSocketError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code, syscall } = err as NodeJS.ErrnoException;
  return code !== undefined && PEER_CODES.has(code) && SOCKET_SYSCALLS.has(syscall);
}

/** Installs the guard; returns a function that removes it (tests). */
export function installProcessGuard(log: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onError = (err: unknown, origin: string) => {
    if (isPeerSocketError(err)) {
      const e = err as NodeJS.ErrnoException;
      log.warn('survived a client socket error nobody handled', { code: e.code, syscall: e.syscall ?? null, origin });
      return;
    }
    log.error('uncaught error: exiting', { origin, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    exit(1);
  };
  process.on('uncaughtException', onError);
  return () => process.off('uncaughtException', onError);
}
