'use strict';
/**
 * Makes a function's code directory behave as the root of the package FC deploys
 * (docs/local-runtime.md, "Code directory, module type and built-in modules"):
 *
 * - Module type: a `.js` file is CommonJS unless a package.json between it and the code directory
 *   (inclusive) says `"type": "module"`; `.mjs` is ESM, `.cjs` CommonJS. A package.json above the code
 *   directory (the repository's own `"type": "module"`) does not count: in the cloud it is not deployed.
 * - Lookup: bare specifiers are searched in `node_modules` folders inside the code directory only, then
 *   among FC's built-in modules (./builtin-modules.cjs), never in the repository's `node_modules`.
 *   Anything else fails with MODULE_NOT_FOUND and a message saying what FC would have offered.
 *
 * CommonJS is handled here by wrapping Node's CommonJS loader; ESM needs loader hooks
 * (./esm-hooks.mjs), which start a worker thread costing a few hundred milliseconds, so they are
 * registered only for functions whose entry module is ESM.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { builtinList, builtinModule, isBareSpecifier, packageNameOf } = require('./builtin-modules.cjs');

/** Where the `fc-builtin-*` aliases are installed: the repository root (its node_modules). */
const BUILTINS_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The package scope rules for one code directory. `root` should be a real path (symlinks resolved),
 * as Node reports module file names that way.
 */
function packageScope(root) {
  const inside = (file) => file === root || file.startsWith(root + path.sep);
  const typeCache = new Map();

  /** "module" or "commonjs" for a directory, from the nearest package.json up to the root. */
  function typeOfDir(dir) {
    if (!inside(dir)) return 'commonjs';
    const cached = typeCache.get(dir);
    if (cached) return cached;
    let type;
    const manifest = path.join(dir, 'package.json');
    try {
      const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      type = parsed && parsed.type === 'module' ? 'module' : 'commonjs';
    } catch (error) {
      if (error && error.code === 'ENOENT') type = dir === root ? 'commonjs' : typeOfDir(path.dirname(dir));
      else type = 'commonjs'; // Node refuses an unreadable package.json on its own when it matters
    }
    typeCache.set(dir, type);
    return type;
  }

  /** The format FC gives a file of the package, or undefined for files outside it. */
  function formatOf(file) {
    if (!inside(file)) return undefined;
    if (file.endsWith('.mjs')) return 'module';
    if (file.endsWith('.cjs')) return 'commonjs';
    if (file.endsWith('.js')) return typeOfDir(path.dirname(file));
    return undefined;
  }

  /** True when `<dir>/node_modules/<name>` exists for some dir from `fromDir` up to the root. */
  function hasPackage(fromDir, name) {
    for (let dir = fromDir; inside(dir); dir = path.dirname(dir)) {
      if (fs.existsSync(path.join(dir, 'node_modules', name))) return true;
      if (dir === root) break;
    }
    return false;
  }

  return { root, inside, formatOf, hasPackage };
}

/** The error for a package neither the function nor FC provides (or FC provides but is not installed here). */
function notFoundError(specifier, importer, root, esm) {
  const name = packageNameOf(specifier);
  const builtin = builtinModule(name);
  const message = builtin
    ? `Cannot find module '${specifier}' imported from ${importer}: FC's nodejs20 runtime provides ${name} ${builtin.version}, ` +
      `but it is not installed for the local runtime; add it with: npm install -D ${builtin.alias}@npm:${name}@${builtin.version}`
    : `Cannot find module '${specifier}' imported from ${importer}: it is neither in the function's code directory ` +
      `(${path.join(root, 'node_modules')}) nor one of the modules FC's nodejs20 runtime provides (${builtinList()}). ` +
      'Bundle it into the code, or install it into the code directory.';
  const error = new Error(message);
  error.code = esm ? 'ERR_MODULE_NOT_FOUND' : 'MODULE_NOT_FOUND';
  return error;
}

/**
 * Installs the package rules for CommonJS (`require`) in this process. Returns the scope, whose
 * `formatOf(entry)` tells the bootstrap whether to `require` or `import()` the handler module.
 */
function installCodePackage(codeDir) {
  const scope = packageScope(fs.realpathSync(codeDir));
  const { inside, formatOf } = scope;

  // Lookup paths of modules inside the package stop at its root: no repository node_modules.
  const nodeModulePaths = Module._nodeModulePaths;
  Module._nodeModulePaths = function codePackageNodeModulePaths(from) {
    const paths = nodeModulePaths.call(this, from);
    if (!inside(path.resolve(from))) return paths;
    return paths.filter((p) => inside(path.dirname(p)));
  };

  // A bare specifier the package does not hold may be one of FC's built-in modules.
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function codePackageResolveFilename(request, parent, isMain, options) {
    try {
      return resolveFilename.call(this, request, parent, isMain, options);
    } catch (error) {
      const from = parent?.filename;
      if (error?.code !== 'MODULE_NOT_FOUND' || !from || !inside(from)) throw error;
      if (!isBareSpecifier(request) || Module.isBuiltin(request)) throw error;
      const name = packageNameOf(request);
      // A package the function bundled that lacks the file asked for: Node's own message says it best.
      if (scope.hasPackage(path.dirname(from), name)) throw error;
      const builtin = builtinModule(name);
      if (builtin) {
        try {
          return resolveFilename.call(this, builtin.alias + request.slice(name.length), parent, false, {
            paths: [BUILTINS_ROOT],
          });
        } catch {
          // not installed locally: reported below
        }
      }
      throw notFoundError(request, from, scope.root, false);
    }
  };

  // `.js` in a CommonJS scope of the package compiles as CommonJS, whatever a package.json above says.
  const loadJs = Module._extensions['.js'];
  Module._extensions['.js'] = function codePackageLoadJs(module, filename) {
    if (formatOf(filename) !== 'commonjs') return loadJs.call(this, module, filename);
    const source = fs.readFileSync(filename, 'utf8');
    return module._compile(source, filename, 'commonjs');
  };

  return scope;
}

/** Registers the ESM loader hooks for the package (only needed when ESM code runs in it). */
function registerEsmHooks(scope) {
  Module.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')), {
    data: { root: scope.root, builtinsRoot: BUILTINS_ROOT },
  });
}

module.exports = { installCodePackage, registerEsmHooks, packageScope, notFoundError, BUILTINS_ROOT };
