import { hash } from 'node:crypto';

/** Span attribute names: OpenTelemetry semantic conventions, plus the `perkamo.*` namespace. */
export const attr = {
  faasTrigger: 'faas.trigger',
  faasInvocationId: 'faas.invocation_id',
  faasColdstart: 'faas.coldstart',
  faasName: 'faas.name',
  // The semantic conventions have no tenant attribute (faas.* included): ours, in faas.'s style.
  faasTenantId: 'perkamo.faas.tenant_id',
  cloudProvider: 'cloud.provider',
  cloudRegion: 'cloud.region',
  cloudAccountId: 'cloud.account.id',
  httpRoute: 'http.route',
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  httpResendCount: 'http.request.resend_count',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  messagingOperationName: 'messaging.operation.name',
  messagingDestinationName: 'messaging.destination.name',
  messagingBatchCount: 'messaging.batch.message_count',
  messagingMessageId: 'messaging.message.id',
  perkamoOperation: 'perkamo.operation',
  perkamoEvent: 'perkamo.event',
  perkamoTransactionId: 'perkamo.transaction_id',
  perkamoUserId: 'perkamo.user_id',
  perkamoBatchSize: 'perkamo.batch.size',
  perkamoApplied: 'perkamo.applied',
  perkamoDuplicate: 'perkamo.duplicate',
  perkamoRequestId: 'perkamo.request_id',
  perkamoFailed: 'perkamo.records.failed',
} as const;

export type UserIdPolicy = 'keep' | 'hash' | 'drop';

/**
 * What a span may say about a user id. `hash` (the default) gives a stable pseudonym — the same
 * user has the same value across traces — without the id itself; `drop` omits it.
 */
export function traceUserId(userId: string, policy: UserIdPolicy): string | undefined {
  if (policy === 'drop') return undefined;
  if (policy === 'keep') return userId;
  return `sha256:${hash('sha256', userId, 'hex').slice(0, 16)}`;
}

/** The Lambda's region and account, from its invoked ARN (`arn:aws:lambda:<region>:<account>:function:…`). */
export function cloudFromArn(arn: string | undefined): { region?: string; account?: string } {
  const parts = arn?.split(':');
  return parts && parts.length >= 5 ? { region: parts[3], account: parts[4] } : {};
}
