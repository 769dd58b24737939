import { RegistryArgumentError } from '../../lib/core/errors';
import {
  MAX_REQUEST_BYTES,
  REQUEST_OVERHEAD_BYTES,
  assertPath,
  assertPrefix,
  assertValue,
  loneSurrogateAt,
  registrationRequestBytes,
} from '../../lib/core/input-validation';

function argumentErrorOf(fn: () => void): RegistryArgumentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RegistryArgumentError) return e;
    throw e;
  }
  throw new Error('no RegistryArgumentError thrown');
}

describe('loneSurrogateAt', () => {
  it.each([
    ['plain ASCII', '/services/a/1', -1],
    ['a surrogate pair (emoji)', '/a/😀/b', -1],
    ['a lone high surrogate', '/a/\uD800b', 3],
    ['a lone low surrogate', '/a/\uDC00', 3],
    ['a high surrogate at the very end', '/a\uD83D', 2],
    ['a reversed pair', '\uDE00\uD83D', 0],
    ['two highs then a low: the first high is alone', '\uD83D\uD83D\uDE00', 0],
    ['an empty string', '', -1],
  ])('%s', (_name, text, at) => {
    expect(loneSurrogateAt(text)).toBe(at);
    // The same verdict as a UTF-8 round trip.
    expect(at === -1).toBe(Buffer.from(text).toString() === text);
  });
});

describe('assertPath / assertPrefix / assertValue with lone surrogates', () => {
  it('names the argument, the code unit and its index', () => {
    const e = argumentErrorOf(() => assertPath('/svc/\uD800x'));
    expect(e.argument).toBe('path');
    expect(e.message).toMatch(/lone UTF-16 surrogate \(\\uD800\) at index 5/);
    expect(argumentErrorOf(() => assertPrefix('/svc/\uDFFF/')).argument).toBe('prefix');
    expect(argumentErrorOf(() => assertValue('/svc/a', 'x\uD800')).argument).toBe('value');
  });
});

describe('assertValue: the request size', () => {
  it('counts the key (with the namespace) three times, the value once, the user name and the overhead', () => {
    expect(registrationRequestBytes('/k', 'vv', 'bob')).toBe(3 * 2 + 2 + 3 + REQUEST_OVERHEAD_BYTES);
    expect(registrationRequestBytes('/ü', '')).toBe(3 * 3 + REQUEST_OVERHEAD_BYTES);
  });

  it('accepts up to the limit exactly and refuses one byte more, naming the room left for the value', () => {
    const path = `/k/${'x'.repeat(100_000)}`;
    const room = MAX_REQUEST_BYTES - 3 * Buffer.byteLength(path) - REQUEST_OVERHEAD_BYTES;
    expect(() => assertValue(path, 'v'.repeat(room))).not.toThrow();
    const e = argumentErrorOf(() => assertValue(path, 'v'.repeat(room + 1)));
    expect(e.argument).toBe('value');
    expect(e.message).toContain(`the value may take ${room} bytes`);
    expect(e.message).toContain('--max-request-bytes');
  });

  it('counts the namespace in every copy of the key', () => {
    const path = '/k';
    const room = MAX_REQUEST_BYTES - 3 * Buffer.byteLength('/ns' + path) - REQUEST_OVERHEAD_BYTES;
    expect(() => assertValue(path, 'v'.repeat(room), '/ns')).not.toThrow();
    expect(() => assertValue(path, 'v'.repeat(room + 1), '/ns')).toThrow(RegistryArgumentError);
  });
});
