import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkOperation, FaultSpecError, parseFaultSpec } from './fault-spec';
import type { Fault, FaultRegistry } from './faults';

/** Where the admin endpoint lives: a path no OSS request can have (`_local` is not a valid bucket name). */
export const ADMIN_PREFIX = '/_local/';

/**
 * The local server's admin endpoint (docs/local-oss-server.md "Fault injection"), for faults set from
 * outside the process. Every request needs `Authorization: Bearer <admin token>`.
 *
 *   GET    /_local/faults           the faults set, as JSON
 *   POST   /_local/faults           body `Op:field=value,…;Op2:…` (LOCAL_OSS_FAULTS syntax): sets them
 *   PUT    /_local/faults/<Op>      body a JSON Fault: sets that operation's fault
 *   DELETE /_local/faults[/<Op>]    clears every fault, or one
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  config: { token: string; faults: FaultRegistry; log: (line: string) => void },
): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    send(status, { error: { code, message } }, headers);

  const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
  if (!sameSecret(presented, config.token)) {
    req.resume();
    return fail(401, 'UNAUTHENTICATED', 'The admin endpoint needs Authorization: Bearer <admin token>.', {
      'www-authenticate': 'Bearer',
    });
  }
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
  const m = /^\/_local\/faults(?:\/([^/]+))?\/?$/.exec(path);
  if (!m) {
    req.resume();
    return fail(404, 'NOT_FOUND', `No admin resource ${path}; see /_local/faults.`);
  }
  const op = m[1];
  try {
    const body = await readBody(req, 64 * 1024);
    if (req.method === 'GET' && op === undefined) return send(200, { faults: config.faults.list() });
    if (req.method === 'POST' && op === undefined) {
      const parsed = parseFaultSpec(body);
      if (parsed.length === 0) throw new FaultSpecError('the body names no fault');
      for (const [name, fault] of parsed) config.faults.set(name, fault);
      config.log(`faults set: ${body.trim()}`);
      return send(200, { faults: config.faults.list() });
    }
    if (req.method === 'PUT' && op !== undefined) {
      checkOperation(op);
      let fault: Fault;
      try {
        fault = JSON.parse(body) as Fault;
      } catch {
        throw new FaultSpecError('the body must be a JSON object such as {"internalError":1,"times":3}');
      }
      if (fault === null || typeof fault !== 'object' || Array.isArray(fault))
        throw new FaultSpecError('the body must be a JSON object such as {"internalError":1,"times":3}');
      const spec = Object.entries(fault)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      const [[, checked]] = parseFaultSpec(`${op}:${spec}`) as [[string, Fault]];
      config.faults.set(op, checked);
      config.log(`fault set: ${op} ${JSON.stringify(checked)}`);
      return send(200, { faults: config.faults.list() });
    }
    if (req.method === 'DELETE') {
      if (op === undefined) config.faults.clear();
      else config.faults.delete(op);
      config.log(op === undefined ? 'faults cleared' : `fault cleared: ${op}`);
      return send(200, { faults: config.faults.list() });
    }
    return fail(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}.`, {
      allow: op === undefined ? 'GET, POST, DELETE' : 'PUT, DELETE',
    });
  } catch (error) {
    if (error instanceof FaultSpecError) return fail(400, error.code, error.message);
    throw error;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new FaultSpecError(`the body is larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
