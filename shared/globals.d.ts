/** The package version, replaced at build time by esbuild (`define`); "dev" when running from source. */
declare const __PACK_VERSION__: string;
