'use strict';
/**
 * The modules FC's nodejs20 (and nodejs18) runtime provides to every function without bundling
 * (docs/local-runtime.md, "Built-in modules"), with the versions FC documents. Locally each is an npm
 * alias in the repository's devDependencies, `fc-builtin-<name>` (`fc-builtin-ali-oss` is
 * `npm:ali-oss@6.19.0`), so the pack's own dependencies (a newer ali-oss) never stand in for them.
 */

/** @type {ReadonlyArray<{name: string, version: string, alias: string}>} */
const FC_BUILTIN_MODULES = Object.freeze(
  [
    ['co', '4.6.0'],
    ['gm', '1.25.0'],
    ['ali-oss', '6.19.0'],
    ['aliyun-sdk', '1.12.10'],
    ['@alicloud/fc2', '2.6.6'],
    ['tablestore', '5.4.1'],
    ['body', '5.1.0'],
    ['raw-body', '2.5.2'],
    ['ali-mns', '2.6.8'],
    ['@alicloud/pop-core', '1.7.13'],
  ].map(([name, version]) => Object.freeze({ name, version, alias: aliasOf(name) })),
);

/** `ali-oss` → `fc-builtin-ali-oss`, `@alicloud/fc2` → `fc-builtin-alicloud-fc2`. */
function aliasOf(name) {
  return `fc-builtin-${name.replace(/^@/, '').replace(/\//g, '-')}`;
}

const byName = new Map(FC_BUILTIN_MODULES.map((m) => [m.name, m]));

/** The built-in module a package name refers to, or undefined. */
function builtinModule(packageName) {
  return byName.get(packageName);
}

/** The package part of a bare specifier: `ali-oss/lib/x` → `ali-oss`, `@alicloud/fc2/x` → `@alicloud/fc2`. */
function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** True for a specifier Node looks up in node_modules (not relative, absolute, a URL or `#imports`). */
function isBareSpecifier(specifier) {
  return !/^(\.{1,2}(\/|$)|\/|#|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
}

/** The one-line list used in error messages: `ali-oss 6.19.0, @alicloud/fc2 2.6.6, …`. */
function builtinList() {
  return FC_BUILTIN_MODULES.map((m) => `${m.name} ${m.version}`).join(', ');
}

module.exports = { FC_BUILTIN_MODULES, builtinModule, packageNameOf, isBareSpecifier, builtinList, aliasOf };
