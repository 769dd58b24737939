import { RegistryClosedError, RegistryUnavailableError } from './errors';
import { causeOf, finalError } from './etcd-errors';
import { TimeoutError, monotonicNow, sleep, withTimeout } from './deadline';
import { messages } from './messages';
import { ResolvedRegistryOptions } from './options';

/**
 * Runs one etcd operation within a deadline: transient failures (etcd unreachable, leader
 * election, a call's own deadline) are retried with a short backoff until the deadline; final
 * ones (auth, permission, bad request, TLS) reject at once with a clear RegistryError.
 */
export class OperationRunner {
  private closed = false;

  constructor(private readonly options: ResolvedRegistryOptions) {}

  /** A deadline timeoutMs from now, on the monotonic clock (monotonicNow). */
  deadline(): number {
    return monotonicNow() + this.options.timeoutMs;
  }

  close(): void {
    this.closed = true;
  }

  /** Wraps a final error for `what`, or undefined for a transient one. */
  classify(error: unknown, what: string): Error | undefined {
    return finalError(error, { endpoints: this.options.endpoints, username: this.options.username, what });
  }

  unavailable(what: string, cause?: unknown): RegistryUnavailableError {
    return new RegistryUnavailableError(
      messages.unavailable(this.options.endpoints, this.options.timeoutMs, what, cause === undefined ? undefined : causeOf(cause)),
      { cause },
    );
  }

  async run<T>(what: string, deadline: number, attempt: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    let pause = 50;
    for (;;) {
      if (this.closed) throw new RegistryClosedError(messages.closed());
      const remaining = deadline - monotonicNow();
      if (remaining <= 0) throw this.unavailable(what, lastError);
      try {
        return await withTimeout(attempt(), remaining);
      } catch (error) {
        if (error instanceof TimeoutError) {
          // The budget ran out mid-call: the error of an earlier attempt says more than our own clock.
          lastError ??= new TimeoutError(this.options.timeoutMs);
        } else {
          const final = this.classify(error, what);
          if (final) throw final;
          lastError = error;
        }
      }
      const left = deadline - monotonicNow();
      if (left <= 0) throw this.unavailable(what, lastError);
      await sleep(Math.min(pause * (0.5 + Math.random() / 2), left));
      pause = Math.min(pause * 2, 500);
    }
  }
}
