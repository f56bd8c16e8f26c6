// ali-oss requires 'proxy-agent' only when a proxy is configured. Function Compute reaches OSS
// directly, so the bundle carries this stub instead of a whole proxy stack.
module.exports = function ProxyAgent() {
  throw new Error('HTTP proxies are not supported by the bundled functions (ali-oss enableProxy is off).');
};
