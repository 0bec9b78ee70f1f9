// Command benchtool holds the small helpers bench/run.sh needs that the
// shell lacks: free loopback ports, waiting for a listener, the
// recipient keys of the encrypted runs, and for bench/curves.sh a DNS
// server answering every MX with 127.0.0.1, N S/MIME certificates, and a
// process's CPU time.
//
// It only ever touches 127.0.0.1.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "freeport":
		n := 1
		if len(os.Args) > 2 {
			v, err := strconv.Atoi(os.Args[2])
			if err != nil || v < 1 {
				usage()
			}
			n = v
		}
		if err := freePorts(n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "waitport":
		if len(os.Args) != 4 {
			usage()
		}
		d, err := time.ParseDuration(os.Args[3])
		if err != nil {
			usage()
		}
		if err := waitPort(os.Args[2], d); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "recipient-keys":
		if len(os.Args) != 3 {
			usage()
		}
		if err := recipientKeys(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "dns":
		if len(os.Args) != 3 {
			usage()
		}
		if err := serveDNS(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "smime-certs":
		if len(os.Args) != 5 {
			usage()
		}
		n, err := strconv.Atoi(os.Args[3])
		if err != nil {
			usage()
		}
		if err := smimeCerts(os.Args[2], n, os.Args[4]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case "cputicks":
		if len(os.Args) != 3 {
			usage()
		}
		if err := cpuTicks(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchtool freeport [N] | benchtool waitport 127.0.0.1:PORT TIMEOUT | benchtool recipient-keys DIR | benchtool dns 127.0.0.1:PORT | benchtool smime-certs DIR N local@domain | benchtool cputicks PID")
	os.Exit(2)
}

// freePorts prints n distinct loopback ports that nobody listens on now.
// All listeners stay open until every port is chosen so none repeats.
func freePorts(n int) error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("benchtool: listen: %w", err)
		}
		ls = append(ls, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// waitPort returns once addr accepts a TCP connection, or fails after d.
func waitPort(addr string, d time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return fmt.Errorf("benchtool: %q is not a 127.0.0.1 address", addr)
	}
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("benchtool: %s not listening after %s: %w", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
