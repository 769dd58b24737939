// Package lineproto is the stdin/stdout line protocol bench/go-floor.ts drives the benchmark's Go
// programs with (bench/go/floor and bench/go/seed): their flags, their clock, and the writer's loop.
package lineproto

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// Args are the programs' flags: -mode watch|write, -endpoints a,b, -prefix, -ttl seconds, -user, -pass.
type Args struct {
	Mode, Endpoints, Prefix, User, Pass string
	TTL                                 int64
}

// ParseArgs reads the flags from os.Args (-ttl defaults to 5).
func ParseArgs() Args {
	a := Args{TTL: 5}
	for i := 1; i+1 < len(os.Args); i += 2 {
		switch os.Args[i] {
		case "-mode":
			a.Mode = os.Args[i+1]
		case "-endpoints":
			a.Endpoints = os.Args[i+1]
		case "-prefix":
			a.Prefix = os.Args[i+1]
		case "-ttl":
			fmt.Sscan(os.Args[i+1], &a.TTL)
		case "-user":
			a.User = os.Args[i+1]
		case "-pass":
			a.Pass = os.Args[i+1]
		}
	}
	return a
}

// Mono is CLOCK_MONOTONIC in ns, the clock of libuv's uv_hrtime (Node's process.hrtime), so a Go
// and a Node side of one change share one clock.
func Mono() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// Failer returns the program's fatal error: "<program>: <message>" on stderr, exit status 1.
func Failer(program string) func(format string, args ...interface{}) {
	return func(format string, args ...interface{}) {
		fmt.Fprintf(os.Stderr, program+": "+format+"\n", args...)
		os.Exit(1)
	}
}

// ServeWrites prints "ready", then for each stdin line "put <key> <value>" or "delete <key>" calls
// put or del and prints "<t0> <t1>" (Mono before the call and once it returned), until stdin closes.
// The first failed call ends it with that call's error.
func ServeWrites(out *bufio.Writer, put func(key, value string) error, del func(key string) error) error {
	fmt.Fprintln(out, "ready")
	out.Flush()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		parts := strings.SplitN(in.Text(), " ", 3)
		t0 := Mono()
		var err error
		if parts[0] == "put" && len(parts) == 3 {
			err = put(parts[1], parts[2])
		} else if parts[0] == "delete" && len(parts) >= 2 {
			err = del(parts[1])
		} else {
			err = fmt.Errorf("bad command %q", in.Text())
		}
		if err != nil {
			return fmt.Errorf("%s: %v", parts[0], err)
		}
		fmt.Fprintf(out, "%d %d\n", t0, Mono())
		out.Flush()
	}
	return nil
}
