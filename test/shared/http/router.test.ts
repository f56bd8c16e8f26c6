import { describe, expect, it } from 'vitest';
import { Router } from '../../../shared/http/router';

function presignRoutes(): Router<string> {
  return new Router<string>()
    .add('GET', '/healthz', 'health')
    .add('POST', '/v1/uploads', 'create-upload')
    .add('POST', '/v1/uploads/form', 'create-form')
    .add('GET', '/v1/uploads/:uploadId', 'get-upload')
    .add('DELETE', '/v1/uploads/:uploadId', 'abort-upload')
    .add('POST', '/v1/uploads/:uploadId/parts', 'sign-parts')
    .add('POST', '/v1/uploads/:uploadId/complete', 'complete')
    .add('GET', '/v1/artifacts', 'list')
    .add('GET', '/v1/artifacts/:namespace/:name{.+}', 'get-artifact')
    .add('DELETE', '/v1/artifacts/:namespace/:name{.+}', 'delete-artifact');
}

describe('Router', () => {
  const router = presignRoutes();

  it('finds the handler of a fixed path', () => {
    expect(router.match('GET', '/healthz')).toEqual({ found: { handler: 'health', params: {} } });
    expect(router.match('POST', '/v1/uploads')).toEqual({ found: { handler: 'create-upload', params: {} } });
  });

  it('prefers a fixed segment over a parameter', () => {
    expect(router.match('POST', '/v1/uploads/form')).toEqual({ found: { handler: 'create-form', params: {} } });
    expect(router.match('GET', '/v1/uploads/form')).toEqual({
      found: { handler: 'get-upload', params: { uploadId: 'form' } },
    });
  });

  it('captures parameters, and a {.+} parameter across slashes', () => {
    expect(router.match('POST', '/v1/uploads/ABC123/complete')).toEqual({
      found: { handler: 'complete', params: { uploadId: 'ABC123' } },
    });
    expect(router.match('GET', '/v1/artifacts/team-a/udfs/deep/my udf.jar')).toEqual({
      found: { handler: 'get-artifact', params: { namespace: 'team-a', name: 'udfs/deep/my udf.jar' } },
    });
    expect(router.match('DELETE', '/v1/artifacts/team-a/x.jar')).toMatchObject({
      found: { handler: 'delete-artifact', params: { namespace: 'team-a', name: 'x.jar' } },
    });
  });

  it('hands each caller its own params object', () => {
    const first = router.match('GET', '/v1/uploads/ONE');
    if (!('found' in first)) throw new Error('expected a match');
    first.found.params.uploadId = 'changed';
    expect(router.match('GET', '/v1/uploads/ONE')).toEqual({
      found: { handler: 'get-upload', params: { uploadId: 'ONE' } },
    });
  });

  it('lists the methods a path accepts when the method is wrong', () => {
    expect(router.match('PUT', '/v1/uploads')).toEqual({ allowed: ['POST'] });
    expect(router.match('POST', '/v1/uploads/ABC')).toEqual({ allowed: ['GET', 'DELETE'] });
    expect(router.match('POST', '/v1/artifacts/team-a/x.jar')).toEqual({ allowed: ['GET', 'DELETE'] });
  });

  it('answers an empty list for a path no route has', () => {
    expect(router.match('GET', '/v2/nothing')).toEqual({ allowed: [] });
    expect(router.match('GET', '/v1/artifacts/team-a')).toEqual({ allowed: [] });
    expect(router.match('GET', '/v1/uploads/ABC/complete/more')).toEqual({ allowed: [] });
    expect(new Router<string>().match('GET', '/')).toEqual({ allowed: [] });
  });
});
