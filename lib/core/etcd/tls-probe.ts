import { connect } from 'tls';
import { monotonicNow } from '../deadline';

/** An SSL alert from the peer (e.g. "certificate required"): the peer speaks TLS, it only refused us. */
const PEER_TLS_ALERT = /^ERR_SSL_(TLSV1|TLSV13|SSLV3)_ALERT/;

/**
 * Whether `host:port` answers a TLS handshake. Only a completed handshake or a TLS alert from the
 * peer count; a plaintext server (it answers "wrong version number"), a refused connection or
 * silence within `timeoutMs` do not.
 */
export function speaksTls(hostPort: string, timeoutMs: number): Promise<boolean> {
  const m = /^(?:[a-z]+:\/\/)?\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host: m[1], port: Number(m[2]), rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(PEER_TLS_ALERT.test(error.code ?? '')));
  });
}

const REPROBE_AFTER_MS = 5000;

/**
 * For a plaintext client: tells whether etcd answers in TLS (then every call fails as "connection
 * dropped", which reads like etcd being down). Probes the endpoints at most once per 5 s, and
 * never again once TLS was seen.
 */
export class TlsMismatchProbe {
  private found = false;
  private probing?: Promise<boolean>;
  private probedAt = -Infinity;

  constructor(private readonly endpoints: readonly string[]) {}

  /** True once an endpoint was seen to speak TLS. */
  get detected(): boolean {
    return this.found;
  }

  /** Probes unless done lately; resolves whether an endpoint speaks TLS. */
  check(timeoutMs: number): Promise<boolean> {
    if (this.found) return Promise.resolve(true);
    if (this.probing) return this.probing;
    if (monotonicNow() - this.probedAt < REPROBE_AFTER_MS) return Promise.resolve(false);
    this.probedAt = monotonicNow();
    this.probing = Promise.all(this.endpoints.map((e) => speaksTls(e, timeoutMs)))
      .then((answers) => (this.found = answers.some(Boolean)))
      .finally(() => (this.probing = undefined));
    return this.probing;
  }
}
