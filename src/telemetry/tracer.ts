import { trace, type Tracer } from '@opentelemetry/api';
import { packageVersion } from '../core/version.ts';

/**
 * The package's tracer. Before a provider is registered this is the API's proxy, which binds to the
 * real provider once the layer registers one; without the layer every span is a no-op.
 */
export const tracer: Tracer = trace.getTracer('perkamo-lambda', packageVersion);
