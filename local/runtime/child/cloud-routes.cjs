'use strict';
/**
 * Sends a function's requests for Alibaba Cloud endpoints of the local region to the local stack, so
 * code written for the cloud (an ali-oss client built from `context.region` with no endpoint, the FC
 * SDK with its default endpoint) runs unchanged (docs/local-runtime.md, "Cloud endpoints"):
 *
 * - OSS: `oss-<region>.aliyuncs.com`, `oss-<region>-internal.aliyuncs.com`, `oss-accelerate.aliyuncs.com`,
 *   `oss-accelerate-overseas.aliyuncs.com`, each also with a `<bucket>.` in front → the local OSS server
 *   (it reads the bucket from the Host header, as OSS does).
 * - FC: `<account>.<region>.fc.aliyuncs.com`, `<account>.<region>-internal.fc.aliyuncs.com`,
 *   `fcv3.<region>.aliyuncs.com` (and `-internal`) → the local runtime's InvokeFunction API.
 *
 * `http.request`/`http.get`, `https.request`/`https.get`, `fetch` and `dns.lookup` are wrapped. An
 * https request to a routed host is served over plain HTTP on loopback (there is no certificate for
 * `*.aliyuncs.com` to present); the client sees a normal response. Anything else (another region, other
 * hosts, raw sockets to port 443) is left alone and fails as the local network makes it fail.
 */
const Module = require('node:module');
const { URL, urlToHttpOptions } = require('node:url');

/**
 * The route table for one region: a function from a host name to the loopback port serving it, or
 * undefined when the host is not routed.
 * @param {{region: string, ossPort?: number, fcPort?: number}} config
 */
function routeTable(config) {
  const region = config.region.replace(/^oss-/, '').toLowerCase();
  const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const r = esc(region);
  const oss = new RegExp(
    `^(?:[a-z0-9][a-z0-9-]*\\.)?oss-(?:${r}|${r}-internal|accelerate|accelerate-overseas)\\.aliyuncs\\.com$`,
  );
  const fc = new RegExp(`^(?:[0-9a-z_-]+\\.${r}(?:-internal)?\\.fc|fcv3\\.${r}(?:-internal)?)\\.aliyuncs\\.com$`);
  return (host) => {
    const h = normalizeHost(host);
    if (config.ossPort && oss.test(h)) return config.ossPort;
    if (config.fcPort && fc.test(h)) return config.fcPort;
    return undefined;
  };
}

/** Lower case, no trailing dot, no brackets, no port. */
function normalizeHost(host) {
  let h = String(host || '').toLowerCase();
  if (h.startsWith('[')) return h;
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const LOOPBACK = '127.0.0.1';

/**
 * Installs the routes in this process. `http`, `https` and `dns` are wrapped when first required (a
 * bundle that never talks to the network does not pay for loading them); `eager` wraps them at once,
 * for ES modules, whose `import` does not pass through `require`.
 */
function installCloudRoutes(config, { eager = false } = {}) {
  const portFor = routeTable(config);
  let loopbackAgent;

  function wrapDns(dns) {
    // Name resolution: routed hosts are loopback, for clients that connect by themselves.
    const lookup = dns.lookup;
    dns.lookup = function routedLookup(...args) {
      const [hostname, options, callback] = args;
      const cb = typeof options === 'function' ? options : callback;
      const opts = typeof options === 'object' && options !== null ? options : {};
      if (typeof hostname !== 'string' || portFor(hostname) === undefined) return lookup.apply(this, args);
      process.nextTick(() => (opts.all ? cb(null, [{ address: LOOPBACK, family: 4 }]) : cb(null, LOOPBACK, 4)));
      return {};
    };
    const lookupPromise = dns.promises.lookup;
    dns.promises.lookup = function routedLookupPromise(...args) {
      const [hostname, options] = args;
      if (typeof hostname !== 'string' || portFor(hostname) === undefined) return lookupPromise.apply(this, args);
      const all = typeof options === 'object' && options !== null && options.all;
      return Promise.resolve(all ? [{ address: LOOPBACK, family: 4 }] : { address: LOOPBACK, family: 4 });
    };
  }

  /**
   * The arguments of `request(url?, options?, callback?)` rewritten to reach the local port, or
   * undefined when the target is not routed.
   */
  function reroute(http, args, secure) {
    let [input, options, callback] = args;
    let opts;
    if (typeof input === 'string' || input instanceof URL) {
      opts = urlToHttpOptions(typeof input === 'string' ? new URL(input) : input);
      if (typeof options === 'function') {
        callback = options;
        options = undefined;
      }
      if (options) opts = { ...opts, ...options };
    } else {
      callback = options;
      opts = { ...input };
    }
    const host = opts.hostname || opts.host;
    const port = host ? portFor(host) : undefined;
    if (port === undefined) return undefined;
    const defaultPort = secure ? 443 : 80;
    const originalPort = Number(opts.port) || defaultPort;
    const hostHeader = normalizeHost(host) + (originalPort === defaultPort ? '' : `:${originalPort}`);
    let headers = opts.headers;
    if (!headers) headers = { host: hostHeader };
    else if (!Array.isArray(headers) && !Object.keys(headers).some((k) => k.toLowerCase() === 'host')) {
      headers = { ...headers, host: hostHeader };
    }
    // An https agent would open TLS; a plain http one (agentkeepalive's, Node's) can stay.
    const keepAgent = opts.agent === false || (opts.agent instanceof http.Agent && opts.agent.protocol === 'http:');
    loopbackAgent ??= new http.Agent({ keepAlive: true });
    const rerouted = {
      ...opts,
      protocol: 'http:',
      hostname: LOOPBACK,
      host: LOOPBACK,
      port,
      agent: keepAgent ? opts.agent : loopbackAgent,
      headers,
    };
    delete rerouted.createConnection;
    delete rerouted.lookup;
    return callback ? [rerouted, callback] : [rerouted];
  }

  let plainRequest;
  function wrapHttp(http) {
    const request = http.request;
    plainRequest = request;
    http.request = function routedHttpRequest(...args) {
      const rerouted = reroute(http, args, false);
      return rerouted ? request(...rerouted) : request.apply(this, args);
    };
    // Node's get() calls its module's own request(), not the exported one.
    http.get = function routedHttpGet(...args) {
      const req = http.request(...args);
      req.end();
      return req;
    };
  }

  function wrapHttps(https) {
    const http = require('node:http');
    const request = https.request;
    https.request = function routedHttpsRequest(...args) {
      const rerouted = reroute(http, args, true);
      return rerouted ? plainRequest(...rerouted) : request.apply(this, args);
    };
    https.get = function routedHttpsGet(...args) {
      const req = https.request(...args);
      req.end();
      return req;
    };
  }

  // Order matters: https wraps with the original http.request, so http is wrapped first.
  const wrappers = new Map([
    ['http', wrapHttp],
    ['https', wrapHttps],
    ['dns', wrapDns],
  ]);
  function wrap(name) {
    const wrapper = wrappers.get(name);
    if (!wrapper) return;
    wrappers.delete(name);
    if (name === 'https') wrap('http');
    wrapper(require(`node:${name}`));
    // `import { request } from 'node:http'` sees the wrapped functions too.
    Module.syncBuiltinESMExports();
  }
  if (eager) {
    for (const name of [...wrappers.keys()]) wrap(name);
  } else {
    const load = Module._load;
    Module._load = function routedLoad(request, ...rest) {
      const name = typeof request === 'string' ? request.replace(/^node:/, '') : '';
      if (wrappers.has(name)) wrap(name);
      return load.call(this, request, ...rest);
    };
  }

  // fetch is a lazy global (it loads undici): wrap it without touching it.
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (descriptor) {
    const original = () => (descriptor.get ? descriptor.get.call(globalThis) : descriptor.value);
    Object.defineProperty(globalThis, 'fetch', {
      configurable: true,
      enumerable: descriptor.enumerable,
      writable: true,
      value: function fetch(input, init) {
        const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
        const port = portFor(url.hostname);
        if (port === undefined) return original().call(this, input, init);
        const request = new Request(input, init);
        // fetch sends its own Host header, so a bucket in the host name moves into the path (path style,
        // which OSS signatures treat the same: the canonical resource is /<bucket>/<key> either way).
        const bucket = /^([a-z0-9][a-z0-9-]*)\.oss-/.exec(normalizeHost(url.hostname))?.[1];
        const path = bucket ? `/${bucket}${url.pathname}` : url.pathname;
        return original().call(this, `http://${LOOPBACK}:${port}${path}${url.search}`, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: request.redirect,
          signal: request.signal,
          ...(request.body ? { duplex: 'half' } : {}),
        });
      },
    });
  }
  return portFor;
}

module.exports = { installCloudRoutes, routeTable };
