import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { routeTable } = require('../../../local/runtime/child/cloud-routes.cjs') as {
  routeTable: (config: { region: string; ossPort?: number; fcPort?: number }) => (host: string) => number | undefined;
};

describe('routeTable', () => {
  const portFor = routeTable({ region: 'cn-hangzhou', ossPort: 9100, fcPort: 9002 });

  it.each([
    'oss-cn-hangzhou.aliyuncs.com',
    'my-bucket.oss-cn-hangzhou.aliyuncs.com',
    'oss-cn-hangzhou-internal.aliyuncs.com',
    'my-bucket.oss-cn-hangzhou-internal.aliyuncs.com',
    'oss-accelerate.aliyuncs.com',
    'my-bucket.oss-accelerate.aliyuncs.com',
    'my-bucket.oss-accelerate-overseas.aliyuncs.com',
    'MY-BUCKET.OSS-CN-HANGZHOU.ALIYUNCS.COM.',
    'my-bucket.oss-cn-hangzhou.aliyuncs.com:443',
  ])('sends OSS host %s to the local OSS server', (host) => {
    expect(portFor(host)).toBe(9100);
  });

  it.each([
    '1000000000000000.cn-hangzhou.fc.aliyuncs.com',
    '1000000000000000.cn-hangzhou-internal.fc.aliyuncs.com',
    'fcv3.cn-hangzhou.aliyuncs.com',
    'fcv3.cn-hangzhou-internal.aliyuncs.com',
  ])('sends FC API host %s to the local InvokeFunction API', (host) => {
    expect(portFor(host)).toBe(9002);
  });

  it.each([
    'oss-cn-shanghai.aliyuncs.com',
    'my-bucket.oss-cn-shanghai.aliyuncs.com',
    '1000000000000000.cn-shanghai.fc.aliyuncs.com',
    'sts.aliyuncs.com',
    'cn-hangzhou.log.aliyuncs.com',
    'oss-cn-hangzhou.aliyuncs.com.evil.example',
    'evil.example',
    'localhost',
    '127.0.0.1',
  ])('leaves %s alone (another region, another service, not Alibaba Cloud)', (host) => {
    expect(portFor(host)).toBeUndefined();
  });

  it('accepts the region with its oss- prefix, and routes nothing it has no port for', () => {
    expect(routeTable({ region: 'oss-cn-hangzhou', ossPort: 1 })('oss-cn-hangzhou.aliyuncs.com')).toBe(1);
    expect(routeTable({ region: 'cn-hangzhou', ossPort: 1 })('1.cn-hangzhou.fc.aliyuncs.com')).toBeUndefined();
  });
});
