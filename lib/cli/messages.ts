/**
 * The core's messages name the module's options ("tls.ca", "username"); on the command line the
 * same settings are flags and environment variables: each is named as the CLI's user sets it.
 */
const CLI_NAMES_OF_OPTIONS: readonly [RegExp, string][] = [
  [/"tls\.cert"\/"tls\.key"/g, '--cert-file/--key-file (ETCD_CERT_FILE/ETCD_KEY_FILE)'],
  [/the "tls" option \("tls\.ca": ([^)]*)\)/g, '--ca-file (ETCD_CA_FILE): $1'],
  [/"tls\.ca"/g, '--ca-file (ETCD_CA_FILE)'],
  [/"tls\.cert"/g, '--cert-file (ETCD_CERT_FILE)'],
  [/"tls\.key"/g, '--key-file (ETCD_KEY_FILE)'],
  [/"username" and "password"/g, '--username and --password (ETCD_USERNAME, ETCD_PASSWORD)'],
];

/** A core message in the CLI's terms (see CLI_NAMES_OF_OPTIONS). */
export function withCliOptionNames(message: string): string {
  return CLI_NAMES_OF_OPTIONS.reduce((text, [pattern, name]) => text.replace(pattern, name), message);
}

/** One line: an error's own line breaks (OpenSSL's, gRPC's) become spaces, so each message is one line of stderr. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Every message the CLI writes, in one place. */
export const cliMessages = {
  usage: () =>
    [
      'Usage: nestjs-etcd-registry <command> [options]',
      '',
      'Commands:',
      '  ls                  services and instances under --prefix, as a table (--json: as JSON)',
      "  get <service>[/<id>]  one service's instances (or one instance) with every field",
      '  watch               print each change under --prefix as it happens, until Ctrl-C',
      '  doctor              check connectivity, auth, permission on --prefix, etcd version, lease TTL, clock skew',
      '',
      'Options (each also read from the environment variable shown):',
      '  --endpoints <list>        ETCD_ENDPOINTS     host:port or http(s)://host:port, comma-separated (required)',
      '  --username <name>         ETCD_USERNAME      with --password; both empty or unset: no auth',
      '  --password <password>     ETCD_PASSWORD      prefer the variable: a flag is visible in `ps`',
      "  --namespace <prefix>      ETCD_NAMESPACE     put in front of every key, as the module's namespace",
      '  --timeout-ms <ms>         ETCD_TIMEOUT_MS    budget of each operation, connect included (default 5000)',
      "  --ttl-seconds <s>         ETCD_TTL_SECONDS   the lease TTL your services use; doctor compares it with etcd's minimum (default 5)",
      "  --ca-file <file>          ETCD_CA_FILE       PEM CA of etcd's server certificate (TLS)",
      '  --cert-file <file>        ETCD_CERT_FILE     PEM client certificate (mutual TLS, with --key-file)',
      '  --key-file <file>         ETCD_KEY_FILE      PEM private key of --cert-file',
      '  --prefix <prefix>         ETCD_PREFIX        key prefix of the fleet (default /services/)',
      '  --codec <name>            ETCD_CODEC         how values are read: json (default; reads plain host:port too),',
      '                                               etcd-service, go-zero, kratos, go-micro, grpc-naming',
      '  --json                                       machine-readable output (ls, get, doctor; watch: one JSON object a line)',
      '  --write                                      doctor: also check write permission on --prefix (writes nothing)',
      '  --max-clock-skew-ms <ms>                     doctor: largest clock skew that passes (default 1000)',
      '  -h, --help                                   this help',
      "  -V, --version                                the package's version",
      '',
      'Exit codes: 0 ok, 1 a check failed or nothing found, 2 usage error, 3 etcd unreachable,',
      '4 auth or permission refused.',
    ].join('\n'),
  unknownCommand: (command: string | undefined) =>
    command === undefined
      ? 'no command given: use ls, get, watch or doctor.'
      : `unknown command ${JSON.stringify(command)}: use ls, get, watch or doctor.`,
  badArguments: (detail: string) => `${detail.replace(/\.$/, '')}.`,
  unexpectedArgument: (command: string, arg: string) => `${command} takes no argument; got ${JSON.stringify(arg)}.`,
  getTarget: () => 'get needs one argument: a service name, or <service>/<id> for one instance (e.g. get user-service).',
  endpointsMissing: () => 'no etcd endpoints: pass --endpoints host:port[,host:port] or set ETCD_ENDPOINTS.',
  notANumber: (flag: string, env: string | undefined, value: string) =>
    `${flag}${env ? ` (${env})` : ''} must be a whole number; got ${JSON.stringify(value)}.`,
  option: (flag: string, env: string | undefined, detail: string) => `invalid ${flag}${env ? ` (${env})` : ''}: ${detail}`,
  unreadableFile: (flag: string, env: string, file: string, cause: string) =>
    `${flag} (${env}): cannot read ${JSON.stringify(file)}: ${cause}.`,
  prefix: (value: string) => `--prefix (ETCD_PREFIX) must start and end with "/", e.g. /services/; got ${JSON.stringify(value)}.`,
  codec: (value: string, names: readonly string[]) =>
    `--codec (ETCD_CODEC) must be one of ${names.join(', ')}; got ${JSON.stringify(value)}.`,
  seeHelp: () => 'Run `nestjs-etcd-registry --help` for the commands and options.',
  authRequired: () =>
    'etcd has auth enabled and no credentials were given: set ETCD_USERNAME and ETCD_PASSWORD (or --username/--password).',
  notFound: (target: string, prefix: string) => `no instance of ${JSON.stringify(target)} under ${prefix}.`,
  nothingUnder: (prefix: string) => `no instances under ${prefix}.`,
  skipped: (count: number) => `${count} entr${count === 1 ? 'y' : 'ies'} the codec could not read:`,
  watching: (prefix: string, revision: string | undefined) =>
    `watching ${prefix}${revision ? ` from revision ${revision}` : ''}; Ctrl-C to stop.`,
  watchStale: (prefix: string) => `the watch of ${prefix} is not live (etcd unreachable?); changes will show once it is back.`,
  watchLive: (prefix: string) => `the watch of ${prefix} is live again.`,
} as const;
