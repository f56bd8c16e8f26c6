import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config';
import { objectUrl, publicUrlBase, serviceEndpoint } from '../../../shared/storage/endpoints';

const base = { OSS_BUCKET: 'flink-ws', OSS_REGION: 'cn-hangzhou' };

function service(endpoint: string) {
  return serviceEndpoint(loadConfig({ ...base, OSS_ENDPOINT: endpoint }).oss);
}

describe('addressing style of an endpoint', () => {
  it.each([
    ['http://127.0.0.1:9100', 'path'],
    ['http://10.0.0.7', 'path'],
    ['http://[::1]:9100', 'path'],
    ['https://[2001:db8::7]', 'path'],
    ['https://oss-cn-hangzhou-internal.aliyuncs.com', 'virtual-hosted'],
    ['https://oss-cn-hangzhou.aliyuncs.com:443', 'virtual-hosted'],
    ['https://files.example.com', 'cname'],
    ['http://localhost:9100', 'cname'],
    ['https://1.2.3.example.com', 'cname'],
  ])('%s is %s', (endpoint, style) => {
    expect(service(endpoint).style).toBe(style);
  });

  it('an IP literal names the bucket in the path, a host name in the host', () => {
    expect(objectUrl(service('http://127.0.0.1:9100'), 'flink-ws', 'artifacts/a.jar')).toBe(
      'http://127.0.0.1:9100/flink-ws/artifacts/a.jar',
    );
    expect(objectUrl(service('https://oss-cn-hangzhou.aliyuncs.com'), 'flink-ws', 'artifacts/a.jar')).toBe(
      'https://flink-ws.oss-cn-hangzhou.aliyuncs.com/artifacts/a.jar',
    );
  });

  it('OSS_PATH_STYLE puts the bucket in the path whatever the host', () => {
    const oss = loadConfig({ ...base, OSS_ENDPOINT: 'http://localhost:9100', OSS_PATH_STYLE: 'true' }).oss;
    expect(serviceEndpoint(oss).style).toBe('path');
  });

  it('a public endpoint given as an IP literal is path style too', () => {
    const oss = loadConfig({ ...base, OSS_PUBLIC_ENDPOINT: 'http://192.168.1.20:9100' }).oss;
    expect(publicUrlBase(oss).style).toBe('path');
  });
});
