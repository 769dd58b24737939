// Registrar registers one instance in etcd the way a Go fleet does, keeps its lease alive, and
// revokes it when stdin closes (or on SIGTERM/SIGINT). Written for the interop tests.
//
//	-layout etcd-service: plain "host:port" under -key, under a lease (what the Go etcdService's
//	                      Register(path, value) writes: its library is not packaged in Debian, so
//	                      this program writes the same key and value with the same clientv3 calls)
//	-layout grpc-naming:  etcd's own naming package (clientv3/naming/endpoints), AddEndpoint of
//	                      -addr under -target, key "{target}/{addr}", under a lease
//
// It prints one JSON line {"ready":true,"key":...,"lease":...} once etcd holds the key.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/naming/endpoints"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "registrar: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	etcd := flag.String("endpoints", "", "etcd endpoints, comma-separated")
	layout := flag.String("layout", "etcd-service", "etcd-service or grpc-naming")
	key := flag.String("key", "", "etcd-service: the instance's key, e.g. /services/user-service/go-1")
	target := flag.String("target", "", "grpc-naming: the target, e.g. /services/user-service")
	addr := flag.String("addr", "", "the instance's address, host:port")
	metadata := flag.String("metadata", "", "grpc-naming: JSON metadata of the endpoint (optional)")
	ttl := flag.Int64("ttl", 5, "lease TTL in seconds")
	flag.Parse()
	if *etcd == "" || *addr == "" {
		fail("-endpoints and -addr are required")
	}

	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*etcd, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	lease, err := cli.Grant(ctx, *ttl)
	if err != nil {
		fail("grant: %v", err)
	}
	var fullKey string
	switch *layout {
	case "etcd-service":
		if *key == "" {
			fail("-key is required with -layout etcd-service")
		}
		fullKey = *key
		if _, err := cli.Put(ctx, fullKey, *addr, clientv3.WithLease(lease.ID)); err != nil {
			fail("put: %v", err)
		}
	case "grpc-naming":
		if *target == "" {
			fail("-target is required with -layout grpc-naming")
		}
		manager, err := endpoints.NewManager(cli, *target)
		if err != nil {
			fail("naming manager: %v", err)
		}
		endpoint := endpoints.Endpoint{Addr: *addr}
		if *metadata != "" {
			var md interface{}
			if err := json.Unmarshal([]byte(*metadata), &md); err != nil {
				fail("-metadata is not JSON: %v", err)
			}
			endpoint.Metadata = md
		}
		fullKey = *target + "/" + *addr
		if err := manager.AddEndpoint(ctx, fullKey, endpoint, clientv3.WithLease(lease.ID)); err != nil {
			fail("add endpoint: %v", err)
		}
	default:
		fail("unknown -layout %q", *layout)
	}
	keepAlive, err := cli.KeepAlive(context.Background(), lease.ID)
	if err != nil {
		fail("keep-alive: %v", err)
	}
	go func() {
		for range keepAlive {
		}
	}()

	ready, _ := json.Marshal(map[string]interface{}{"ready": true, "key": fullKey, "lease": fmt.Sprintf("%d", lease.ID)})
	fmt.Println(string(ready))

	done := make(chan struct{})
	go func() {
		reader := bufio.NewReader(os.Stdin)
		for {
			if _, err := reader.ReadByte(); err != nil {
				close(done)
				return
			}
		}
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-signals:
	}
	revokeCtx, revokeCancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer revokeCancel()
	if _, err := cli.Revoke(revokeCtx, lease.ID); err != nil {
		fail("revoke: %v", err)
	}
}
