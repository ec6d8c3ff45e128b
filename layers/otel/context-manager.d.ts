import { type Context, type ContextManager } from '@opentelemetry/api';
export declare class AsyncLocalStorageContextManager implements ContextManager {
    private storage;
    active(): Context;
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F>;
    bind<T>(context: Context, target: T): T;
    enable(): this;
    disable(): this;
}
