// The bulk of the layer's init — the tracer provider, span, processor, sampler, propagators and
// context manager — which init.ts imports once the extension's registration request is out: in the
// built layer this is a file of its own, otel-tracing.mjs, so that Lambda's answer to the
// registration comes back while this compiles and sets up, instead of after.
export { buildTracing } from './setup.ts';
