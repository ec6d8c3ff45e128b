// A local OTLP/HTTP trace receiver for the benchmark, in its own process: answers every
// POST /v1/traces with 200 `{}` at once and counts the spans in the OTLP/JSON bodies; a body it
// cannot count spans in (not OTLP/JSON) is counted as unparsed, so that the benchmark can refuse a
// span count that would be wrong. GET /stats reads the counters, POST /reset clears them. Prints
// `listening <port>` when ready.
import http from 'node:http';

let stats = { spans: 0, unparsed: 0 };
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    stats = { spans: 0, unparsed: 0 };
    res.writeHead(204);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (String(req.headers['content-type']).includes('json')) {
      try {
        for (const rs of JSON.parse(body.toString('utf8')).resourceSpans ?? []) {
          for (const ss of rs.scopeSpans ?? []) stats.spans += ss.spans?.length ?? 0;
        }
      } catch {
        stats.unparsed++;
      }
    } else stats.unparsed++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
