/**
 * ESM loader hooks (registered by ./code-package.cjs for functions whose entry is ESM): the same
 * package rules as the CommonJS side, for `import`. Bare specifiers resolve inside the code directory's
 * node_modules, then to FC's built-in modules, never to the repository's node_modules; `.js` files get
 * the module type FC gives them, judged from package.json files inside the code directory only.
 */
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { builtinModule, isBareSpecifier, packageNameOf } = require('./builtin-modules.cjs');
const { packageScope, notFoundError } = require('./code-package.cjs');

let scope;
let builtinsParent;

/** @param {{root: string, builtinsRoot: string}} data */
export function initialize(data) {
  scope = packageScope(data.root);
  builtinsParent = pathToFileURL(join(data.builtinsRoot, 'package.json')).href;
}

function filePathOf(url) {
  return typeof url === 'string' && url.startsWith('file:') ? fileURLToPath(url) : undefined;
}

export async function resolve(specifier, context, nextResolve) {
  const from = filePathOf(context.parentURL);
  if (!from || !scope.inside(from) || !isBareSpecifier(specifier) || isBuiltin(specifier)) {
    return nextResolve(specifier, context);
  }
  const name = packageNameOf(specifier);
  if (scope.hasPackage(dirname(from), name)) return nextResolve(specifier, context);
  const builtin = builtinModule(name);
  if (builtin) {
    try {
      return await nextResolve(builtin.alias + specifier.slice(name.length), {
        ...context,
        parentURL: builtinsParent,
      });
    } catch {
      // not installed locally: reported below
    }
  }
  throw notFoundError(specifier, from, scope.root, true);
}

export async function load(url, context, nextLoad) {
  const file = filePathOf(url);
  const format = file?.endsWith('.js') ? scope.formatOf(file) : undefined;
  if (format === undefined) return nextLoad(url, context);
  // CommonJS goes back to Node's CommonJS loader (source null), where code-package.cjs applies the same rules.
  if (format === 'commonjs') return { format, source: null, shortCircuit: true };
  return nextLoad(url, { ...context, format });
}
