import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPayload } from '../../../local/oss/events';
import { PackError } from '../../../shared/errors';
import { InvalidEventError, parseHttpEvent, parseOssEvent, parseTimerEvent } from '../../../shared/fc/parse';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs `fn`, expecting an EVENT_INVALID error, and returns it. */
function invalid(fn: () => unknown): InvalidEventError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toBeInstanceOf(PackError);
    expect((error as PackError).code).toBe('EVENT_INVALID');
    return error as InvalidEventError;
  }
  throw new Error('expected an EVENT_INVALID error');
}

describe('parseOssEvent', () => {
  it('parses the documented OSS event from a Buffer', () => {
    const { events } = parseOssEvent(fixture('oss-event.json'));
    expect(events).toHaveLength(1);
    expect(events[0]?.eventName).toBe('ObjectCreated:PutObject');
    expect(events[0]?.oss.bucket.name).toBe('testbucket');
    expect(events[0]?.oss.object).toMatchObject({
      key: 'source/a.png',
      size: 122539,
      eTag: '688A7BF4F233DC9C88A80BF985AB****',
    });
  });

  it('accepts ObjectRemoved records without size and eTag, and CJK keys verbatim', () => {
    const doc = JSON.parse(fixture('oss-event.json').toString()) as { events: Array<Record<string, any>> };
    const record = doc.events[0] as Record<string, any>;
    record['eventName'] = 'ObjectRemoved:DeleteObject';
    record['oss'].object = { key: 'artifacts/中文 a+b.jar' };
    const { events } = parseOssEvent(JSON.stringify({ events: [record, record] }));
    expect(events).toHaveLength(2);
    expect(events[1]?.oss.object.key).toBe('artifacts/中文 a+b.jar');
    expect(events[1]?.oss.object.size).toBeUndefined();
  });

  it('names every missing or mistyped field with its path', () => {
    const error = invalid(() =>
      parseOssEvent(
        JSON.stringify({
          events: [
            { eventName: 'ObjectCreated:PutObject', eventTime: 't', oss: { bucket: {}, object: { size: '12' } } },
          ],
        }),
      ),
    );
    expect(error.problems).toEqual([
      'events[0].oss.bucket.name must be a non-empty string',
      'events[0].oss.object.key must be a non-empty string',
      'events[0].oss.object.size must be a number',
    ]);
    expect(error.message).toContain('Invalid OSS trigger event');
  });

  it.each([
    ['not JSON', 'not json', /not JSON/],
    ['a JSON array', '[]', /must be a JSON object/],
    ['no events', '{}', /events must be a non-empty array/],
    ['empty events', '{"events":[]}', /events must be a non-empty array/],
    ['a non-object record', '{"events":[1]}', /events\[0\] must be an object/],
  ])('refuses %s', (_, text, message) => {
    expect(invalid(() => parseOssEvent(text)).message).toMatch(message);
  });
});

describe('parseTimerEvent', () => {
  it('parses the documented timer event', () => {
    expect(parseTimerEvent(fixture('timer-event.json'))).toEqual({
      triggerTime: '2023-12-26T07:49:00Z',
      triggerName: 'timer-trigger',
      payload: 'awesome-fc',
    });
  });

  it('treats a missing payload as the empty string', () => {
    expect(parseTimerEvent('{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"t"}').payload).toBe('');
  });

  it('names what is wrong', () => {
    expect(invalid(() => parseTimerEvent('{"triggerName":3,"payload":{}}')).problems).toEqual([
      'triggerTime must be a non-empty string',
      'triggerName must be a non-empty string',
      'payload must be a string',
    ]);
  });
});

describe('parseHttpEvent', () => {
  it('parses the documented HTTP event', () => {
    const event = parseHttpEvent(fixture('http-event.json'));
    expect(event.rawPath).toBe('/example');
    expect(event.body).toBe('Hello FC!');
    expect(event.headers['header2']).toBe('value1,value2');
    expect(event.queryParameters['parameter2']).toBe('value1,value2');
    expect(event.requestContext.http).toMatchObject({
      method: 'GET',
      path: '/example',
      userAgent: 'PostmanRuntime/7.32.3',
    });
    expect(event.requestContext.timeEpoch).toBe('1693896071895');
  });

  it('parses the event `s invoke` sends, keeping its extra triggerId', () => {
    const event = parseHttpEvent(fixture('http-event-s-invoke.json'));
    expect(event.requestContext.http.method).toBe('POST');
    expect(event.requestContext.triggerId).toBe('1e875ca5-8fd9-4893-b690-cc81c41e5bdc');
    expect(event.headers['Content-Type']).toBe('application/octet-stream');
  });

  it('fills in what a bodiless request may omit', () => {
    const event = parseHttpEvent(
      JSON.stringify({ rawPath: '/', requestContext: { http: { method: 'get', path: '/' } } }),
    );
    expect(event).toMatchObject({ version: 'v1', body: '', isBase64Encoded: false, headers: {}, queryParameters: {} });
    expect(event.requestContext.http.method).toBe('GET');
  });

  it('names every problem at once', () => {
    const error = invalid(() =>
      parseHttpEvent(JSON.stringify({ body: 1, headers: { 'X-A': ['x'] }, requestContext: { http: {} } })),
    );
    expect(error.problems).toEqual([
      'rawPath must be a non-empty string',
      'body must be a string',
      'headers["X-A"] must be a string',
      'requestContext.http.method must be a non-empty string',
      'requestContext.http.path must be a non-empty string',
    ]);
  });
});

describe('one shape for writer and reader', () => {
  it("accepts the local OSS server's events as they are written", () => {
    const payload = buildPayload(
      {
        eventName: 'ObjectCreated:AppendObject',
        bucket: 'dev',
        key: 'logs/中文.txt',
        eTag: 'ABC',
        size: 5,
        deltaSize: 2,
        position: 3,
        time: new Date('2026-01-02T03:04:05Z'),
        requestId: 'R1',
        sourceIp: '127.0.0.1',
      },
      { region: 'cn-hangzhou', accountId: '1000', ruleId: 'rule' },
    );
    expect(parseOssEvent(JSON.stringify(payload))).toEqual(payload);
  });
});
