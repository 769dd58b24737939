import { readFileSync } from 'fs';
import { parseArgs } from 'util';
// Deep imports, not '../core': its index loads etcd3, which `ls` and `get` do without.
import { RegistryOptionsError } from '../core/errors';
import type { InstanceCodecName } from '../core/instances/instance-codec.interface';
import { INSTANCE_CODEC_NAMES, isInstanceCodecName } from '../core/instances/instance-codec-names';
import { resolveRegistryOptions } from '../core/options';
import type { RegistryOptions } from '../core/registry.interface';
import { CliUsageError } from './cli-errors';
import { cliMessages } from './messages';

export type CliCommand = 'ls' | 'get' | 'watch' | 'doctor';

/** The command line and environment, checked: what a command needs and nothing else. */
export interface CliOptions {
  command: CliCommand;
  /** The argument of `get`. */
  target?: string;
  /** The core's options, checked by the core's resolveRegistryOptions (no logger: the CLI prints itself). */
  registry: RegistryOptions & { ttlSeconds: number; timeoutMs: number };
  /** Key prefix of the fleet, without the namespace (default /services/). */
  prefix: string;
  codec: InstanceCodecName;
  json: boolean;
  write: boolean;
  maxClockSkewMs: number;
}

export type CliEnv = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CLI_PREFIX = '/services/';
export const DEFAULT_CLI_CODEC: InstanceCodecName = 'json';
export const DEFAULT_MAX_CLOCK_SKEW_MS = 1000;

const COMMANDS: readonly CliCommand[] = ['ls', 'get', 'watch', 'doctor'];

/** Each option's flag and environment variable (the module's options, as the sample's environment names them). */
const ENV = {
  endpoints: 'ETCD_ENDPOINTS',
  username: 'ETCD_USERNAME',
  password: 'ETCD_PASSWORD',
  namespace: 'ETCD_NAMESPACE',
  'timeout-ms': 'ETCD_TIMEOUT_MS',
  'ttl-seconds': 'ETCD_TTL_SECONDS',
  'ca-file': 'ETCD_CA_FILE',
  'cert-file': 'ETCD_CERT_FILE',
  'key-file': 'ETCD_KEY_FILE',
  prefix: 'ETCD_PREFIX',
  codec: 'ETCD_CODEC',
} as const;
type EnvOption = keyof typeof ENV;

/** The core option each flag sets, to name the flag when the core refuses a value. */
const FLAG_OF_OPTION: Record<string, EnvOption> = {
  endpoints: 'endpoints',
  username: 'username',
  password: 'password',
  namespace: 'namespace',
  timeoutMs: 'timeout-ms',
  ttlSeconds: 'ttl-seconds',
  'tls.ca': 'ca-file',
  'tls.cert': 'cert-file',
  'tls.key': 'key-file',
};

const stringOption = { type: 'string' } as const;
const PARSE_OPTIONS = {
  endpoints: stringOption,
  username: stringOption,
  password: stringOption,
  namespace: stringOption,
  'timeout-ms': stringOption,
  'ttl-seconds': stringOption,
  'ca-file': stringOption,
  'cert-file': stringOption,
  'key-file': stringOption,
  prefix: stringOption,
  codec: stringOption,
  'max-clock-skew-ms': stringOption,
  json: { type: 'boolean' },
  write: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** `--help` (or no arguments at all): print the usage and exit 0. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || argv.includes('--help') || argv.includes('-h');
}

/** `--version` (or `-V`): print the package's version and exit 0. */
export function wantsVersion(argv: readonly string[]): boolean {
  return argv.includes('--version') || argv.includes('-V');
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

function wholeNumber(flag: string, env: string | undefined, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) throw new CliUsageError(cliMessages.notANumber(flag, env, value));
  return Number(value.trim());
}

function readPem(flag: EnvOption, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliUsageError(cliMessages.unreadableFile(`--${flag}`, ENV[flag], file, e instanceof Error ? e.message : String(e)));
  }
}

/**
 * Parses the command line with util.parseArgs; each option falls back to its environment variable
 * (an empty variable counts as unset, as in the module). Validates everything the core would, so
 * a bad value is a usage error (exit 2) naming the flag and the variable before etcd is contacted.
 */
export function parseCliOptions(argv: readonly string[], env: CliEnv): CliOptions {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof PARSE_OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: PARSE_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliUsageError(cliMessages.badArguments(e instanceof Error ? e.message : String(e)));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (!COMMANDS.includes(command as CliCommand)) throw new CliUsageError(cliMessages.unknownCommand(command));
  let target: string | undefined;
  if (command === 'get') {
    if (rest.length !== 1 || rest[0] === '') throw new CliUsageError(cliMessages.getTarget());
    target = rest[0];
  } else if (rest.length > 0) {
    throw new CliUsageError(cliMessages.unexpectedArgument(command, rest[0]));
  }

  const pick = (name: EnvOption): string | undefined => nonEmpty(values[name]) ?? nonEmpty(env[ENV[name]]);
  const endpointList = pick('endpoints');
  if (endpointList === undefined) throw new CliUsageError(cliMessages.endpointsMissing());
  const ca = readPem('ca-file', pick('ca-file'));
  const cert = readPem('cert-file', pick('cert-file'));
  const key = readPem('key-file', pick('key-file'));
  const registry = {
    endpoints: endpointList
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean),
    username: pick('username'),
    password: pick('password'),
    namespace: pick('namespace'),
    timeoutMs: wholeNumber('--timeout-ms', ENV['timeout-ms'], pick('timeout-ms'), 5000),
    ttlSeconds: wholeNumber('--ttl-seconds', ENV['ttl-seconds'], pick('ttl-seconds'), 5),
    tls: ca || cert || key ? { ca, cert, key } : undefined,
  };
  for (const k of ['username', 'password', 'namespace', 'tls'] as const) if (registry[k] === undefined) delete registry[k];
  try {
    resolveRegistryOptions(registry);
  } catch (e) {
    if (!(e instanceof RegistryOptionsError)) throw e;
    const flag = FLAG_OF_OPTION[e.option];
    throw new CliUsageError(cliMessages.option(flag ? `--${flag}` : e.option, flag ? ENV[flag] : undefined, e.message));
  }

  const prefix = pick('prefix') ?? DEFAULT_CLI_PREFIX;
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new CliUsageError(cliMessages.prefix(prefix));
  const codec = pick('codec') ?? DEFAULT_CLI_CODEC;
  // The names only: the codecs themselves are loaded while etcd answers (ls.command.ts).
  if (!isInstanceCodecName(codec)) throw new CliUsageError(cliMessages.codec(codec, INSTANCE_CODEC_NAMES));
  return {
    command: command as CliCommand,
    target,
    registry,
    prefix,
    codec,
    json: values.json ?? false,
    write: values.write ?? false,
    maxClockSkewMs: wholeNumber('--max-clock-skew-ms', undefined, nonEmpty(values['max-clock-skew-ms']), DEFAULT_MAX_CLOCK_SKEW_MS),
  };
}
