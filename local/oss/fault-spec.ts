import type { Fault } from './faults';
import { faultProblem } from './faults';
import { OPERATIONS } from './router';

const FIELDS = ['internalError', 'slowDown', 'reset', 'latencyMs', 'times'] as const;

/** A fault specification that does not parse; the message names the part at fault. */
export class FaultSpecError extends Error {
  readonly code = 'FAULT_SPEC_INVALID';
}

/**
 * Parses `Op:field=value,field=value;Op2:…` (LOCAL_OSS_FAULTS and the admin endpoint), e.g.
 * `PutObject:internalError=0.2,times=50;*:latencyMs=100`. Operation names are OSS's (`PutObject`,
 * `InitiateMultipartUpload`…) or `*`; fields are those of `Fault`.
 */
export function parseFaultSpec(spec: string): Array<[string, Fault]> {
  const out: Array<[string, Fault]> = [];
  for (const part of spec.split(';')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    if (colon === -1) throw new FaultSpecError(`"${item}" should read Operation:field=value[,field=value…]`);
    const op = item.slice(0, colon).trim();
    checkOperation(op);
    const fault: Fault = {};
    for (const assignment of item.slice(colon + 1).split(',')) {
      const [name, value, extra] = assignment.split('=').map((t) => t.trim());
      if (!name || value === undefined || value === '' || extra !== undefined)
        throw new FaultSpecError(`"${assignment.trim()}" in "${item}" should read field=value`);
      if (!(FIELDS as readonly string[]).includes(name))
        throw new FaultSpecError(`unknown fault field "${name}" in "${item}"; known: ${FIELDS.join(', ')}`);
      const n = Number(value);
      if (!Number.isFinite(n)) throw new FaultSpecError(`${name} in "${item}" must be a number, got "${value}"`);
      fault[name as (typeof FIELDS)[number]] = n;
    }
    const problem = faultProblem(fault);
    if (problem) throw new FaultSpecError(`${problem} (in "${item}")`);
    out.push([op, fault]);
  }
  return out;
}

/** Refuses an operation name the server does not know (a typo would otherwise never fire). */
export function checkOperation(op: string): void {
  if (op !== '*' && !(OPERATIONS as readonly string[]).includes(op))
    throw new FaultSpecError(`unknown operation "${op}"; use an OSS operation name such as PutObject, or *`);
}
