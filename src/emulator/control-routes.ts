// Control routes (/__emulator/*, no key: a loopback dev tool).
import type { IncomingMessage } from 'node:http';
import { isPlainObject } from '../core/index.ts';
import { streamCount } from './customer-stream.ts';
import { parseFaults } from './faults.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import { ApiError, type Reply } from './replies.ts';
import { parseJson, readBody } from './request-checks.ts';
import { ledger, reset, setRateLimit, type EmulatorState } from './state.ts';

export async function routeControl(state: EmulatorState, req: IncomingMessage, path: string, method: string): Promise<Reply> {
  const { space, faults } = state;
  const readControlJson = async (): Promise<unknown> => parseJson(await readBody(req));
  switch (`${method} ${path}`) {
    case 'GET /__emulator/health':
      return {
        status: 200,
        body: { ok: true, url: state.url, customers: space.customerIds().length, applied: space.appliedCount, streams: streamCount(state) },
      };
    case 'GET /__emulator/ledger':
      return { status: 200, body: ledger(state) };
    case 'POST /__emulator/reset':
      reset(state);
      return { status: 200, body: { ok: true } };
    case 'GET /__emulator/faults':
      return { status: 200, body: { faults: faults.list() } };
    case 'PUT /__emulator/faults': {
      const body = await readControlJson();
      try {
        faults.set(parseFaults(isPlainObject(body) && 'faults' in body ? body.faults : body));
      } catch (error) {
        throw new ApiError(400, 'invalid_faults', (error as Error).message);
      }
      return { status: 200, body: { faults: faults.list() } };
    }
    case 'GET /__emulator/rate-limit':
      return { status: 200, body: { rateLimit: state.rateLimit } };
    case 'PUT /__emulator/rate-limit': {
      const body = await readControlJson();
      try {
        setRateLimit(state, body as RateLimitOptions | null);
      } catch (error) {
        throw new ApiError(400, 'invalid_rate_limit', (error as Error).message);
      }
      return { status: 200, body: { rateLimit: state.rateLimit } };
    }
  }
  throw new ApiError(404, 'not_found', `no control route ${method} ${path}; see GET /__emulator/health, /ledger, /faults, /rate-limit, POST /reset`);
}
