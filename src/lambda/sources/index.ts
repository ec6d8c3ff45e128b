import type { PerkamoRequest } from '../request.ts';
import { directSource } from './direct.ts';
import { eventBridgeSource } from './eventbridge.ts';
import { httpSource } from './http.ts';
import type { Source } from './source.ts';
import { sqsSource } from './sqs.ts';

/** Every trigger, asked in this order; direct takes what no other recognises. */
export const sources: readonly Source[] = [httpSource, sqsSource, eventBridgeSource, directSource];

export function detectSource(event: unknown): Source {
  return sources.find((source) => source.matches(event)) ?? directSource;
}

/** The invocation's source, detected once (by whichever middleware asks first) and kept on `request.internal`. */
export function sourceOf(request: PerkamoRequest<any, any>): Source {
  return (request.internal.source ??= detectSource(request.event)) as Source;
}

export type { Source, SourceScope } from './source.ts';
