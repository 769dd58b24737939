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
	"syscall"
	"time"
	"unsafe"

	"go.etcd.io/etcd/clientv3"
)

func mono() int64 {
	var ts syscall.Timespec
	// CLOCK_MONOTONIC (1), as libuv's uv_hrtime.
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "floor: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	var mode, endpoints, prefix string
	ttl := int64(5)
	for i := 1; i+1 < len(os.Args); i += 2 {
		switch os.Args[i] {
		case "-mode":
			mode = os.Args[i+1]
		case "-endpoints":
			endpoints = os.Args[i+1]
		case "-prefix":
			prefix = os.Args[i+1]
		case "-ttl":
			fmt.Sscan(os.Args[i+1], &ttl)
		}
	}
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
				fmt.Fprintf(out, "%s %s %d\n", kind, key, mono())
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
		fmt.Fprintln(out, "ready")
		out.Flush()
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			parts := strings.SplitN(in.Text(), " ", 3)
			t0 := mono()
			if parts[0] == "put" && len(parts) == 3 {
				_, err = cli.Put(ctx, parts[1], parts[2], clientv3.WithLease(lease.ID))
			} else if parts[0] == "delete" && len(parts) >= 2 {
				_, err = cli.Delete(ctx, parts[1])
			} else {
				err = fmt.Errorf("bad command %q", in.Text())
			}
			if err != nil {
				fail("%s: %v", parts[0], err)
			}
			fmt.Fprintf(out, "%d %d\n", t0, mono())
			out.Flush()
		}
		cli.Revoke(ctx, lease.ID)
	default:
		fail("unknown -mode %q", mode)
	}
}
