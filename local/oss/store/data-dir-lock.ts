import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Data directories open in this process (the pid file cannot tell two servers of one process apart). */
const openInThisProcess = new Set<string>();

/** Claims a data directory for this server: refuses one another live server (here or elsewhere) is using. */
export async function lockDataDir(root: string): Promise<void> {
  const key = resolve(root);
  if (openInThisProcess.has(key))
    throw new Error(`data directory ${root} is in use by another OSS server in this process`);
  const pidFile = join(root, 'server.pid');
  try {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new Error(`data directory ${root} is in use by another OSS server (pid ${pid})`);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await writeFile(pidFile, `${process.pid}\n`);
  openInThisProcess.add(key);
}

/** Releases a data directory claimed by `lockDataDir`. */
export function releaseDataDir(root: string): void {
  openInThisProcess.delete(resolve(root));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
