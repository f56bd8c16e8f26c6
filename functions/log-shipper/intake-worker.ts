/**
 * The log shipper's worker thread (bundled beside `index.js` as `intake-worker.js`): encodes slices of
 * large batches for the function's main thread. See `shared/logs/intake-threads.ts`.
 */
import { parentPort } from 'node:worker_threads';
import { serveIntakeWorker } from '../../shared/logs/intake-threads';

if (!parentPort) throw new Error('intake-worker.js runs as a worker thread of the log shipper');
serveIntakeWorker(parentPort);
