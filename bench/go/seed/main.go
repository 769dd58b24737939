// Seed is the Go seed's design (etcdService, the library this project ports) written again on
// clientv3 for the benchmark, its source not being at hand: the README's API and mechanics only.
//
//   - Register(key, value): Grant a lease of the TTL, Put the key with it, KeepAlive it (one lease
//     per key). Unregister(key): Delete the key, then Revoke its lease.
//   - AddWatch(prefix, fn): a Get of the prefix, then a Watch from the next revision; on every
//     event the map is updated and a fresh copy handed to fn; a full Get every 5 s replaces it
//     and is handed over too.
//
// The same stdin/stdout line protocol as bench/go/floor, so bench/go-floor.ts drives both:
//
//	-mode watch: AddWatch(-prefix, fn); fn compares each map it gets with the previous one and
//	             prints "<put|delete> <key> <t>" per key that appeared or left (t: CLOCK_MONOTONIC
//	             in ns when fn was called, the clock of Node's process.hrtime).
//	-mode write: for each stdin line "put <key> <value>" (Register) or "delete <key>" (Unregister)
//	             prints "<t0> <t1>" (before the call and once it returned).
//
// Both print "ready" first. Closing stdin ends the program (Close revokes every lease).
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"../lineproto"
	"go.etcd.io/etcd/clientv3"
)

// resyncInterval is the seed's full re-read of every watched prefix.
const resyncInterval = 5 * time.Second

var fail = lineproto.Failer("seed")

type watchfn func(services map[string]string)

type registration struct {
	lease  clientv3.LeaseID
	cancel context.CancelFunc
}

type watch struct {
	mu       sync.RWMutex
	services map[string]string
	fn       watchfn
	cancel   context.CancelFunc
}

type registry struct {
	cli     *clientv3.Client
	timeout time.Duration
	ttl     time.Duration
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	leases  map[string]registration
	watches map[string]*watch
}

// New as the seed's: endpoints, user and password (empty: no auth), the default timeout of each
// request, the lease TTL.
func New(endpoints []string, user, pass string, timeout, ttl time.Duration) (*registry, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, Username: user, Password: pass, DialTimeout: timeout})
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	return &registry{cli: cli, timeout: timeout, ttl: ttl, ctx: ctx, stop: stop,
		leases: map[string]registration{}, watches: map[string]*watch{}}, nil
}

// Register grants a lease of its own for the key, puts the key under it and keeps it alive.
func (r *registry) Register(path, value string) error {
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	lease, err := r.cli.Grant(ctx, int64(r.ttl/time.Second))
	if err != nil {
		return err
	}
	if _, err = r.cli.Put(ctx, path, value, clientv3.WithLease(lease.ID)); err != nil {
		return err
	}
	kctx, kcancel := context.WithCancel(r.ctx)
	keep, err := r.cli.KeepAlive(kctx, lease.ID)
	if err != nil {
		kcancel()
		return err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for range keep {
		}
	}()
	r.mu.Lock()
	r.leases[path] = registration{lease: lease.ID, cancel: kcancel}
	r.mu.Unlock()
	return nil
}

// Unregister deletes the key and revokes its lease.
func (r *registry) Unregister(path string) error {
	r.mu.Lock()
	reg, ok := r.leases[path]
	delete(r.leases, path)
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	if _, err := r.cli.Delete(ctx, path); err != nil {
		return err
	}
	if ok {
		reg.cancel()
		if _, err := r.cli.Revoke(ctx, reg.lease); err != nil {
			return err
		}
	}
	return nil
}

// handOver rebuilds a fresh copy of the map and gives it to the callback.
func (w *watch) handOver() {
	w.mu.RLock()
	snapshot := make(map[string]string, len(w.services))
	for k, v := range w.services {
		snapshot[k] = v
	}
	w.mu.RUnlock()
	w.fn(snapshot)
}

func (r *registry) readAll(w *watch, prefix string) (int64, error) {
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	res, err := r.cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, err
	}
	services := make(map[string]string, len(res.Kvs))
	for _, kv := range res.Kvs {
		services[string(kv.Key)] = string(kv.Value)
	}
	w.mu.Lock()
	w.services = services
	w.mu.Unlock()
	w.handOver()
	return res.Header.Revision, nil
}

// AddWatch reads the prefix, hands the map over, watches from the next revision (a fresh copy on
// every event) and re-reads the prefix in full every 5 s.
func (r *registry) AddWatch(prefix string, fn watchfn) error {
	ctx, cancel := context.WithCancel(r.ctx)
	w := &watch{fn: fn, cancel: cancel}
	rev, err := r.readAll(w, prefix)
	if err != nil {
		cancel()
		return err
	}
	ch := r.cli.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	r.mu.Lock()
	r.watches[prefix] = w
	r.mu.Unlock()
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		for wres := range ch {
			for _, ev := range wres.Events {
				w.mu.Lock()
				if ev.Type == clientv3.EventTypeDelete {
					delete(w.services, string(ev.Kv.Key))
				} else {
					w.services[string(ev.Kv.Key)] = string(ev.Kv.Value)
				}
				w.mu.Unlock()
				w.handOver()
			}
		}
	}()
	go func() {
		defer r.wg.Done()
		tick := time.NewTicker(resyncInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				r.readAll(w, prefix)
			}
		}
	}()
	return nil
}

// Close stops every watch, revokes every lease and closes the client.
func (r *registry) Close() {
	r.mu.Lock()
	leases := r.leases
	r.leases = map[string]registration{}
	r.mu.Unlock()
	for _, reg := range leases {
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		r.cli.Revoke(ctx, reg.lease)
		cancel()
	}
	r.stop()
	r.wg.Wait()
	r.cli.Close()
}

func main() {
	args := lineproto.ParseArgs()
	mode, endpoints, prefix, user, pass, ttl := args.Mode, args.Endpoints, args.Prefix, args.User, args.Pass, args.TTL
	reg, err := New(strings.Split(endpoints, ","), user, pass, 5*time.Second, time.Duration(ttl)*time.Second)
	if err != nil {
		fail("connect: %v", err)
	}
	defer reg.Close()
	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	switch mode {
	case "watch":
		// The user's callback: stamps the time it got the map, then tells which keys came and went.
		var last map[string]string
		err := reg.AddWatch(prefix, func(services map[string]string) {
			t := lineproto.Mono()
			outMu.Lock()
			defer outMu.Unlock()
			for k := range services {
				if _, ok := last[k]; !ok {
					fmt.Fprintf(out, "put %s %d\n", k, t)
				}
			}
			for k := range last {
				if _, ok := services[k]; !ok {
					fmt.Fprintf(out, "delete %s %d\n", k, t)
				}
			}
			last = services
			out.Flush()
		})
		if err != nil {
			fail("watch: %v", err)
		}
		outMu.Lock()
		fmt.Fprintln(out, "ready")
		out.Flush()
		outMu.Unlock()
		// Closing stdin ends the watcher.
		bufio.NewReader(os.Stdin).ReadString(0)
	case "write":
		if err := lineproto.ServeWrites(out, reg.Register, reg.Unregister); err != nil {
			fail("%v", err)
		}
	default:
		fail("unknown -mode %q", mode)
	}
}
