// yauzl requires zlib when it loads, for two things the functions barely use: `openReadStream` (never
// called: entries are read from the one streaming GET) and `zlib.crc32` (only for an Info-ZIP Unicode
// Path name). Loading zlib costs a fresh instance about 1 ms, so yauzl gets this stand-in, which loads
// the real module at the first use of any of its members.
let zlib;
const load = () => {
  zlib ??= require('node:zlib');
  return zlib;
};
// yauzl tests `typeof zlib.crc32 === "function"` at load: answered without loading zlib.
const crc32 = (data, value) => load().crc32(data, value);
module.exports = new Proxy(
  {},
  {
    get: (_, key) => (key === 'crc32' ? crc32 : load()[key]),
    has: (_, key) => key in load(),
  },
);
