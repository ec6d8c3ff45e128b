// One measurement of the layer's init by part, in a fresh process on Lambda's Node (bench/run.mjs
// starts it): node:http is loaded first, as the runtime client loads it anyway; then the import
// of otel-init.mjs is timed and split at the marks init.ts sets — the bundle evaluated, the
// provider set up and registered, the hooks ready (with AWS_LAMBDA_RUNTIME_API set, that includes
// registering the extension with the Extensions API the parent serves). Then it leaves the event
// loop free for a moment, as the runtime client does once it waits on `invocation/next`: the
// extension's first `event/next` goes out (the parent's stand-in notes when). Prints `@result {…}`.
await import('node:http');
const { init } = JSON.parse(process.argv[2]);
const started = performance.now();
await import(init);
const done = performance.now();
const mark = (name) => performance.getEntriesByName(`perkamo-otel:${name}`)[0]?.startTime;
const evaluated = mark('evaluated');
const setUp = mark('set-up');
const ready = mark('ready');
if (evaluated === undefined || setUp === undefined || ready === undefined) throw new Error('otel-init.mjs set no perkamo-otel marks');
await new Promise((resolve) => setTimeout(resolve, 100));
process.stdout.write(
  `@result ${JSON.stringify({ loadMs: evaluated - started, setupMs: setUp - evaluated, hooksMs: ready - setUp, totalMs: done - started, startedAt: performance.timeOrigin + started })}\n`,
);
// The extension's event/next long poll would keep the process alive.
process.exit(0);
