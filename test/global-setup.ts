import { buildFunctions } from '../scripts/build';

/**
 * Builds every function bundle once, before any test file runs: end-to-end tests load dist/<name>/ and
 * must never see a bundle half-rewritten by another test file running in parallel.
 */
export default async function setup(): Promise<void> {
  await buildFunctions();
}
