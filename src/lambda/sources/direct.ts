import type { Context } from 'aws-lambda';
import { attr } from '../../telemetry/attributes.ts';
import type { Defaults } from '../payload.ts';
import type { Source } from './source.ts';

/** Lambda keeps the request id across its own retries of an async invoke. */
export function directDefaults(context: Context | undefined): Defaults {
  return context?.awsRequestId ? { transactionId: `lambda:${context.awsRequestId}` } : {};
}

/**
 * A direct invoke (SDK, Step Functions, another function): the payload is the function's own. It
 * is the last source asked, so it takes any event no other trigger recognised. Failures are thrown.
 */
export const directSource: Source<unknown> = {
  trigger: 'direct',
  matches: (_event): _event is unknown => true,
  span: (_event, { functionName }) => ({ name: `invoke ${functionName ?? 'function'}`, kind: 'server', attributes: { [attr.faasTrigger]: 'other' } }),
  items: (request, { function: fn }) =>
    fn.parsePayload(request.event, directDefaults(request.context as Context | undefined), undefined).map((command) => ({ command })),
  answer: (_event, outcomes, { function: fn }) => fn.toValue(outcomes).value,
  failed: () => undefined,
};
