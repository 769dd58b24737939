import { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EtcdRegistryModule, RegistryService } from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';

jest.setTimeout(30_000);

/** Every line the application's logger receives, by level. */
class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];
  private record(level: string, message: unknown, rest: unknown[]) {
    this.lines.push({ level, message: String(message), context: rest.filter((r) => typeof r === 'string').pop() });
  }
  log = (m: unknown, ...rest: unknown[]) => this.record('log', m, rest);
  warn = (m: unknown, ...rest: unknown[]) => this.record('warn', m, rest);
  error = (m: unknown, ...rest: unknown[]) => this.record('error', m, rest);
  debug = (m: unknown, ...rest: unknown[]) => this.record('debug', m, rest);
  verbose = (m: unknown, ...rest: unknown[]) => this.record('verbose', m, rest);
}

describe('Default logging of the Nest face (real etcd)', () => {
  let etcd: EtcdServer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    etcd = await startEtcd();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  it('logs the registration at log level and no debug detail (lease grants) unless the application passes a logger', async () => {
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          service: {
            name: 'logging-service',
            id: `default-${process.pid}`,
            address: '127.0.0.1:3000',
            prefix: `/e2e-logging-${process.pid}/`,
          },
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.listen(0, '127.0.0.1'); // an HTTP app registers in listen()
    expect(app.get(RegistryService).serviceKey).toBe(`/e2e-logging-${process.pid}/logging-service/default-${process.pid}`);

    const ours = logger.lines.filter((l) => l.context === 'EtcdRegistry');
    expect(ours.filter((l) => l.level === 'log').map((l) => l.message)).toEqual([
      expect.stringContaining(`Registered "/e2e-logging-${process.pid}/logging-service/default-${process.pid}"`),
    ]);
    expect(ours.filter((l) => l.level === 'debug' || l.level === 'verbose')).toEqual([]);
  });
});
