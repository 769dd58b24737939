// Greeter is a Go gRPC program for the interop tests, on Debian's grpc-go and etcd clientv3
// (offline, GOPATH mode). The service is helloworld.Greeter/SayHello (test/support/greeter.proto);
// its two messages are written by hand (no protoc here): golang/protobuf reads their struct tags.
//
//	-mode serve: a Go gRPC server on 127.0.0.1 (a free port) that answers "hello {name} from {id}",
//	             registered under a lease as a Go fleet does it:
//	               -layout kratos:  go-kratos's etcd registry, key {namespace}/{name}/{id}, value the
//	                                JSON of registry.ServiceInstance with a grpc:// endpoint
//	               -layout go-zero: go-zero's discov Publisher, key {key}/{leaseID}, value host:port
//	             prints {"ready":true,"key":...,"addr":...} once etcd holds the key; revokes the
//	             lease and stops when stdin closes.
//	-mode dial:  grpc.Dial(-target, grpc.WithResolvers(etcd's resolver)) with round_robin, then
//	             -calls calls of SayHello; prints {"replies":[...]} (the dial string goes through
//	             grpc.Dial's own target parsing: "etcd:///foo/bar/greeter" -> endpoint "foo/bar/greeter").
//	             grpc-go sends that endpoint as the :authority header; a '/' in it makes Node's HTTP/2
//	             server (grpc-js, Nest) reset the stream (PROTOCOL_ERROR): -authority sets it.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	etcdresolver "go.etcd.io/etcd/clientv3/naming/resolver"
	"google.golang.org/grpc"
)

// HelloRequest and HelloReply are greeter.proto's messages, written by hand.
type HelloRequest struct {
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
}

func (m *HelloRequest) Reset()         { *m = HelloRequest{} }
func (m *HelloRequest) String() string { return m.Name }
func (*HelloRequest) ProtoMessage()    {}

type HelloReply struct {
	Message string `protobuf:"bytes,1,opt,name=message,proto3" json:"message,omitempty"`
}

func (m *HelloReply) Reset()         { *m = HelloReply{} }
func (m *HelloReply) String() string { return m.Message }
func (*HelloReply) ProtoMessage()    {}

type greeter struct{ id string }

func sayHello(srv interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(HelloRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	return &HelloReply{Message: "hello " + in.Name + " from " + srv.(*greeter).id}, nil
}

var greeterService = grpc.ServiceDesc{
	ServiceName: "helloworld.Greeter",
	HandlerType: (*interface{})(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "SayHello", Handler: sayHello}},
	Metadata:    "greeter.proto",
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "greeter: "+format+"\n", args...)
	os.Exit(1)
}

func emit(v interface{}) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func main() {
	etcd := flag.String("endpoints", "", "etcd endpoints, comma-separated")
	mode := flag.String("mode", "serve", "serve or dial")
	layout := flag.String("layout", "kratos", "serve: kratos or go-zero")
	name := flag.String("name", "greeter", "serve: the service name")
	id := flag.String("id", "go-1", "serve: the instance id (kratos), named in the replies")
	namespace := flag.String("namespace", "/microservices", "serve, kratos: the registry's namespace")
	key := flag.String("key", "", "serve, go-zero: the service's etcd key, e.g. greeter.rpc")
	ttl := flag.Int64("ttl", 5, "serve: lease TTL in seconds")
	target := flag.String("target", "", "dial: the dial string, e.g. etcd:///foo/bar/greeter")
	calls := flag.Int("calls", 1, "dial: how many calls")
	timeout := flag.Duration("timeout", 10*time.Second, "dial: overall time limit")
	authority := flag.String("authority", "", "dial: grpc.WithAuthority (grpc-go sends the target's endpoint as :authority otherwise)")
	flag.Parse()
	if *etcd == "" {
		fail("-endpoints is required")
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(*etcd, ","), DialTimeout: 5 * time.Second})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()

	switch *mode {
	case "serve":
		serve(cli, *layout, *name, *id, *namespace, *key, *ttl)
	case "dial":
		dial(cli, *target, *authority, *calls, *timeout)
	default:
		fail("unknown -mode %q", *mode)
	}
}

func serve(cli *clientv3.Client, layout, name, id, namespace, key string, ttl int64) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	addr := listener.Addr().String()
	server := grpc.NewServer()
	server.RegisterService(&greeterService, &greeter{id: id})
	go server.Serve(listener)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lease, err := cli.Grant(ctx, ttl)
	if err != nil {
		fail("grant: %v", err)
	}
	var fullKey, value string
	switch layout {
	case "kratos":
		fullKey = namespace + "/" + name + "/" + id
		instance, _ := json.Marshal(map[string]interface{}{
			"id": id, "name": name, "version": "v1", "metadata": map[string]string{"lang": "go"},
			"endpoints": []string{"http://127.0.0.1:1", "grpc://" + addr + "?isSecure=false"},
		})
		value = string(instance)
	case "go-zero":
		if key == "" {
			fail("-key is required with -layout go-zero")
		}
		fullKey = fmt.Sprintf("%s/%d", key, lease.ID)
		value = addr
	default:
		fail("unknown -layout %q", layout)
	}
	if _, err := cli.Put(ctx, fullKey, value, clientv3.WithLease(lease.ID)); err != nil {
		fail("put: %v", err)
	}
	keepAlive, err := cli.KeepAlive(context.Background(), lease.ID)
	if err != nil {
		fail("keep-alive: %v", err)
	}
	go func() {
		for range keepAlive {
		}
	}()
	emit(map[string]interface{}{"ready": true, "key": fullKey, "addr": addr, "lease": fmt.Sprintf("%d", lease.ID)})

	reader := bufio.NewReader(os.Stdin)
	for {
		if _, err := reader.ReadByte(); err != nil {
			break
		}
	}
	revokeCtx, revokeCancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer revokeCancel()
	cli.Revoke(revokeCtx, lease.ID)
	server.Stop()
}

func dial(cli *clientv3.Client, target, authority string, calls int, timeout time.Duration) {
	builder, err := etcdresolver.NewBuilder(cli)
	if err != nil {
		fail("resolver: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	options := []grpc.DialOption{grpc.WithResolvers(builder), grpc.WithInsecure(),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`)}
	if authority != "" {
		options = append(options, grpc.WithAuthority(authority))
	}
	conn, err := grpc.DialContext(ctx, target, options...)
	if err != nil {
		fail("dial %s: %v", target, err)
	}
	defer conn.Close()
	replies := make([]string, 0, calls)
	for i := 0; i < calls; i++ {
		reply := new(HelloReply)
		if err := conn.Invoke(ctx, "/helloworld.Greeter/SayHello", &HelloRequest{Name: fmt.Sprintf("go-%d", i)}, reply, grpc.WaitForReady(true)); err != nil {
			fail("call %d to %s: %v", i, target, err)
		}
		replies = append(replies, reply.Message)
	}
	emit(map[string]interface{}{"replies": replies})
}
