import { withEtcd, instanceValue } from './bench-context';
import { RawEtcd3Client } from './raw-etcd3';
(async () => {
  await withEtcd(async (etcd) => {
    const clients = Array.from({ length: 25 }, () => new RawEtcd3Client({ endpoints: etcd.endpoints, ttlSeconds: 5 }));
    let done = 0, failed = 0;
    const t = Date.now();
    const timer = setInterval(() => console.log('done', done, 'failed', failed, Date.now() - t), 1000);
    await Promise.all(clients.flatMap((c, k) => Array.from({ length: Number(process.argv[2]) }, (_, i) => c.register(`/scale/${k}-${i}`, instanceValue(i)).then(() => done++, (e) => { failed++; if (failed < 3) console.log(e.message); }))));
    clearInterval(timer);
    console.log('all', done, failed, Date.now() - t);
  });
  process.exit(0);
})();
