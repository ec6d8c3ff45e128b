/** Longest tenant id Lambda accepts. */
const maxTenantIdLength = 256;

/**
 * The invocation's tenant under Lambda's tenant isolation: `context.tenantId`, which the runtime
 * client reads from the invoke (X-Amz-Tenant-Id); undefined for a function without it. Bounded,
 * because it is repeated on every line of the invocation.
 */
export function tenantIdOf(context: { tenantId?: unknown } | undefined): string | undefined {
  const id = context?.tenantId;
  return typeof id === 'string' && id !== '' ? id.slice(0, maxTenantIdLength) : undefined;
}
