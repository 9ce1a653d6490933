/**
 * Removes a stopped unit's StateDirectory= with systemd's own CleanUnit (what `systemctl clean
 * --what=state UNIT` does): for a room's browser@ID.service, its kept Chromium profile. The admin
 * service cannot reach that directory itself (it is under the root-only /var/lib/private), and
 * should not: systemd knows where it is and removes it as root, once polkit allows the verb
 * "clean" for exactly that unit (provisioning/admin/streambox-admin.rules).
 *
 * systemd's quirks: CleanUnit answers as soon as its helper process is started; the unit then
 * reads ActiveState "maintenance" until the removal ends, and its result is the service's
 * CleanResult. It refuses a unit that is not inactive (UnitBusy / "not inactive"), and answers
 * NothingToClean when the directory is not there (already clean: success here), NoSuchUnit when
the template is not installed (nothing of it can exist either).
 */
import { BusCallError, I_MANAGER, I_SERVICE, I_UNIT, MANAGER_PATH, type SystemdBus } from './bus.js';

/** systemd refused the clean, or the removal failed. */
export class CleanStateError extends Error {
  constructor(
    readonly unit: string,
    readonly reason: string,
  ) {
    super(`${unit}: its state could not be removed (${reason})`);
    this.name = 'CleanStateError';
  }
}

/** Nothing there (never started, already clean), or no such unit (its template is gone). */
const NOTHING_TO_CLEAN = new Set(['org.freedesktop.systemd1.NothingToClean', 'org.freedesktop.systemd1.NoSuchUnit']);

export async function cleanUnitState(bus: SystemdBus, unit: string, timeoutMs: number, pollMs = 100): Promise<void> {
  try {
    await bus.call(MANAGER_PATH, I_MANAGER, 'CleanUnit', 'sas', [unit, ['state']]);
  } catch (err) {
    if (err instanceof BusCallError && NOTHING_TO_CLEAN.has(err.dbusName)) return;
    if (err instanceof BusCallError && err.dbusName.startsWith('org.freedesktop.')) throw new CleanStateError(unit, err.message);
    throw err;
  }
  const path = await bus.unitPath(unit);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const props = await bus.getAll(path, I_UNIT);
    if (String(props.ActiveState) !== 'maintenance') break;
    if (Date.now() > deadline) throw new CleanStateError(unit, `still cleaning after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const service = await bus.getAll(path, I_SERVICE);
  const result = String(service.CleanResult ?? 'success');
  if (result !== 'success') throw new CleanStateError(unit, `result '${result}'`);
}
