// Floor is the benchmark's Go clientv3 floor: the same work as bench/raw-etcd3.ts, in Go.
//
//	-mode watch: reads the map under -prefix, watches it from the next revision, and for every
//	             event prints "<put|delete> <key> <t>" (t: CLOCK_MONOTONIC in ns, the clock of
//	             Node's process.hrtime, so both sides of a change share one clock).
//	-mode write: grants one lease of -ttl seconds (kept alive), then for each stdin line
//	             "put <key> <value>" or "delete <key>" prints "<t0> <t1>" (before the request
//	             and once etcd answered).
//
// Both print "ready" first. Closing stdin ends the program (the writer revokes its lease).
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"../lineproto"
	"go.etcd.io/etcd/clientv3"
)

var fail = lineproto.Failer("floor")

func main() {
	args := lineproto.ParseArgs()
	mode, endpoints, prefix, ttl := args.Mode, args.Endpoints, args.Prefix, args.TTL
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(endpoints, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()
	out := bufio.NewWriter(os.Stdout)
	ctx := context.Background()
	switch mode {
	case "watch":
		res, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
		if err != nil {
			fail("get: %v", err)
		}
		services := make(map[string]string, len(res.Kvs))
		for _, kv := range res.Kvs {
			services[string(kv.Key)] = string(kv.Value)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch := cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(res.Header.Revision+1), clientv3.WithCreatedNotify())
		if created := <-ch; created.Err() != nil {
			fail("watch: %v", created.Err())
		}
		fmt.Fprintln(out, "ready")
		out.Flush()
		go func() {
			// Closing stdin ends the watcher.
			bufio.NewReader(os.Stdin).ReadString(0)
			cancel()
		}()
		for wres := range ch {
			for _, ev := range wres.Events {
				key := string(ev.Kv.Key)
				kind := "put"
				if ev.Type == clientv3.EventTypeDelete {
					kind = "delete"
					delete(services, key)
				} else {
					services[key] = string(ev.Kv.Value)
				}
				fmt.Fprintf(out, "%s %s %d\n", kind, key, lineproto.Mono())
			}
			out.Flush()
		}
	case "write":
		lease, err := cli.Grant(ctx, ttl)
		if err != nil {
			fail("grant: %v", err)
		}
		keep, err := cli.KeepAlive(ctx, lease.ID)
		if err != nil {
			fail("keepalive: %v", err)
		}
		go func() {
			for range keep {
			}
		}()
		err = lineproto.ServeWrites(out,
			func(key, value string) error {
				_, err := cli.Put(ctx, key, value, clientv3.WithLease(lease.ID))
				return err
			},
			func(key string) error {
				_, err := cli.Delete(ctx, key)
				return err
			})
		if err != nil {
			fail("%v", err)
		}
		cli.Revoke(ctx, lease.ID)
	default:
		fail("unknown -mode %q", mode)
	}
}
