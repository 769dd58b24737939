// Reader reads what Go programs would read from etcd and prints it as one JSON line, for the
// interop tests:
//
//	-mode list:        the map under -prefix, key -> value (what the Go etcdService's AddWatch
//	                   hands its callback: map[string]string)
//	-mode naming-list: etcd's naming package (clientv3/naming/endpoints) Manager.List of -target:
//	                   key -> {Addr, Metadata}, decoded by the library's own code
//	-mode resolve:     etcd's gRPC resolver (clientv3/naming/resolver), the one grpc.Dial uses for
//	                   "etcd:///{target}", built on -target; prints the addresses it hands gRPC once
//	                   it has at least -want of them (or what it has after -timeout)
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/naming/endpoints"
	etcdresolver "go.etcd.io/etcd/clientv3/naming/resolver"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/serviceconfig"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "reader: "+format+"\n", args...)
	os.Exit(1)
}

func emit(v interface{}) {
	out, err := json.Marshal(v)
	if err != nil {
		fail("marshal: %v", err)
	}
	fmt.Println(string(out))
}

// recorder is the gRPC side of the resolver: it keeps the last address list gRPC would get.
type recorder struct {
	mu      sync.Mutex
	state   resolver.State
	updated chan struct{}
}

func (r *recorder) UpdateState(s resolver.State) {
	r.mu.Lock()
	r.state = s
	r.mu.Unlock()
	select {
	case r.updated <- struct{}{}:
	default:
	}
}
func (r *recorder) ReportError(err error) {
	fmt.Fprintf(os.Stderr, "reader: resolver error: %v\n", err)
}
func (r *recorder) NewAddress(addresses []resolver.Address) {
	r.UpdateState(resolver.State{Addresses: addresses})
}
func (r *recorder) NewServiceConfig(string) {}
func (r *recorder) ParseServiceConfig(string) *serviceconfig.ParseResult {
	return &serviceconfig.ParseResult{}
}

func (r *recorder) addresses() []map[string]interface{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]map[string]interface{}, 0, len(r.state.Addresses))
	for _, a := range r.state.Addresses {
		out = append(out, map[string]interface{}{"addr": a.Addr, "metadata": a.Metadata})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["addr"].(string) < out[j]["addr"].(string) })
	return out
}

func main() {
	etcd := flag.String("endpoints", "", "etcd endpoints, comma-separated")
	mode := flag.String("mode", "list", "list, naming-list or resolve")
	prefix := flag.String("prefix", "", "list: the key prefix")
	target := flag.String("target", "", "naming-list, resolve: the naming target, e.g. /services/user-service")
	want := flag.Int("want", 1, "resolve: wait for at least this many addresses")
	timeout := flag.Duration("timeout", 10*time.Second, "overall time limit")
	flag.Parse()
	if *etcd == "" {
		fail("-endpoints is required")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*etcd, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch *mode {
	case "list":
		res, err := cli.Get(ctx, *prefix, clientv3.WithPrefix())
		if err != nil {
			fail("get: %v", err)
		}
		services := map[string]string{}
		for _, kv := range res.Kvs {
			services[string(kv.Key)] = string(kv.Value)
		}
		emit(map[string]interface{}{"services": services})
	case "naming-list":
		manager, err := endpoints.NewManager(cli, *target)
		if err != nil {
			fail("naming manager: %v", err)
		}
		list, err := manager.List(ctx)
		if err != nil {
			fail("list: %v", err)
		}
		emit(map[string]interface{}{"endpoints": list})
	case "resolve":
		builder, err := etcdresolver.NewBuilder(cli)
		if err != nil {
			fail("resolver: %v", err)
		}
		rec := &recorder{updated: make(chan struct{}, 1)}
		r, err := builder.Build(resolver.Target{Scheme: "etcd", Endpoint: *target}, rec, resolver.BuildOptions{})
		if err != nil {
			fail("build resolver: %v", err)
		}
		defer r.Close()
		for len(rec.addresses()) < *want {
			select {
			case <-rec.updated:
			case <-ctx.Done():
				emit(map[string]interface{}{"addresses": rec.addresses(), "timedOut": true})
				return
			}
		}
		emit(map[string]interface{}{"addresses": rec.addresses()})
	default:
		fail("unknown -mode %q", *mode)
	}
}
