import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/lambda/errors.ts';
import { assertRoute, isHttpEvent, normalizeHttpEvent, parseJsonBody, routeParams } from '../../src/lambda/sources/http.ts';
import { httpApiEvent, restApiEvent, sqsEvent } from '../helpers/aws-events.ts';

describe('HTTP source', () => {
  it('recognizes HTTP API 2.0, REST 1.0 and Function URL events, and nothing else', () => {
    expect(isHttpEvent(httpApiEvent('POST /events', {}))).toBe(true);
    expect(isHttpEvent(restApiEvent('POST /events', {}))).toBe(true);
    expect(isHttpEvent(sqsEvent([{ body: {} }]))).toBe(false);
    expect(isHttpEvent({ user_id: 'u', event: 'a.b' })).toBe(false);
  });

  it('strips a named stage from rawPath and lowercases headers', () => {
    const event = { ...httpApiEvent('POST /events', { a: 1 }, { 'X-Custom': 'v' }), rawPath: '/prod/events' };
    event.requestContext.stage = 'prod';
    const request = normalizeHttpEvent(event as never);
    expect(request).toMatchObject({ method: 'POST', path: '/events', body: '{"a":1}' });
    expect(request.headers['x-custom']).toBe('v');
  });

  it('a Function URL ($default route) keeps its raw path', () => {
    const event = { ...httpApiEvent('POST /stream-token', {}), routeKey: '$default' };
    expect(normalizeHttpEvent(event as never).path).toBe('/stream-token');
  });

  it('joins REST multi-value headers and reads Cognito authorizer claims', () => {
    const event = restApiEvent('POST /identify', {}, { Accept: 'a' }) as Record<string, any>;
    event.multiValueHeaders = { Accept: ['a', 'b'] };
    event.requestContext.authorizer = { claims: { sub: 'u1', scope: 'perkamo:identify' } };
    const request = normalizeHttpEvent(event as never);
    expect(request.headers.accept).toBe('a, b');
    expect(request.authorizerClaims).toEqual({ sub: 'u1', scope: 'perkamo:identify' });
  });

  it('matches routes by suffix (custom-domain base paths) and refuses others', () => {
    const base = normalizeHttpEvent(httpApiEvent('POST /loyalty/events', {}) as never);
    expect(() => assertRoute(base, 'POST /events')).not.toThrow();
    const other = normalizeHttpEvent(httpApiEvent('POST /events/batch', {}) as never);
    expect(() => assertRoute(other, 'POST /events')).toThrow(HttpError);
  });

  it('routes with path parameters: one segment each, percent-decoded; by suffix behind a base path; any method', () => {
    expect(routeParams('/customers/{id}', '/customers/account%3Aacme%3A42')).toEqual({ id: 'account:acme:42' });
    expect(routeParams('/customers/{id}/perks', '/customers/u1/perks/')).toEqual({ id: 'u1' });
    expect(routeParams('/customers/{id}', '/customers/u1/perks')).toBeUndefined();
    expect(routeParams('/customers/{id}', '/loyalty/customers/u1')).toBeUndefined();
    expect(routeParams('/customers/{id}', '/loyalty/customers/u1', { suffix: true })).toEqual({ id: 'u1' });
    expect(routeParams('/customers/{id}', '/customers/%E0%A4%A')).toBeUndefined(); // bad percent-encoding: no match
    const get = normalizeHttpEvent(httpApiEvent('GET /customers/u9', undefined) as never);
    expect(assertRoute(get, 'GET /customers/{id}')).toEqual({ id: 'u9' });
    expect(() => assertRoute(get, 'POST /customers/{id}')).toThrow(expect.objectContaining({ status: 405, headers: { allow: 'POST' } }));
  });

  it.each([
    ['application/json; charset=utf-8', true],
    ['application/vnd.api+json', true],
    ['text/plain', false],
    ['multipart/form-data; boundary=x', false],
  ])('content-type %s accepted: %s', (type, ok) => {
    const request = normalizeHttpEvent(httpApiEvent('POST /events', { a: 1 }, { 'content-type': type }) as never);
    if (ok) expect(parseJsonBody(request)).toEqual({ a: 1 });
    else expect(() => parseJsonBody(request)).toThrow(expect.objectContaining({ status: 415 }));
  });

  it('refuses a body over 4 MiB with 413 before parsing it', () => {
    const request = normalizeHttpEvent(httpApiEvent('POST /events', undefined, {}, { rawBody: `"${'x'.repeat(4 * 1024 * 1024)}"` }) as never);
    expect(() => parseJsonBody(request)).toThrow(expect.objectContaining({ status: 413, code: 'payload_too_large' }));
  });
});
