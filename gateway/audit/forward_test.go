package audit

import (
	"bytes"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSyslogForwarderSendsRFC5424OverUDP(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	fwd, err := NewSyslogForwarder("udp", pc.LocalAddr().String(), "gw1")
	if err != nil {
		t.Fatal(err)
	}
	defer fwd.Close()
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, Forward: fwd})
	recs := appendN(t, l, 3, "m")
	defer l.Close()
	re := regexp.MustCompile(`^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z gw1 sealgate \d+ audit - (\{.*\})$`)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 65536)
	for i := 0; i < 3; i++ {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		m := re.FindSubmatch(buf[:n])
		if m == nil {
			t.Fatalf("not RFC 5424: %q", buf[:n])
		}
		if !bytes.Equal(m[1], recs[i].Raw) {
			t.Fatalf("message %d: %s, want %s", i, m[1], recs[i].Raw)
		}
	}
}

func TestSyslogForwarderUsesOctetCountingOverTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fwd, _ := NewSyslogForwarder("tcp", ln.Addr().String(), "gw1")
	defer fwd.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var all []byte
		buf := make([]byte, 4096)
		for bytes.Count(all, []byte("<110>")) < 2 || !bytes.HasSuffix(all, []byte("}")) {
			n, err := c.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break
			}
		}
		got <- string(all)
	}()
	fwd.Forward([]byte(`{"a":1}`))
	fwd.Forward([]byte(`{"b":2}`))
	s := <-got
	if !regexp.MustCompile(`^(\d+) <110>1 `).MatchString(s) {
		t.Fatalf("no octet count: %q", s)
	}
	first := regexp.MustCompile(`^(\d+) `).FindStringSubmatch(s)
	var size int
	for _, c := range first[1] {
		size = size*10 + int(c-'0')
	}
	msg := s[len(first[0]) : len(first[0])+size]
	if !strings.HasSuffix(msg, `{"a":1}`) {
		t.Fatalf("frame %q", msg)
	}
}

type blockingForwarder struct{ release chan struct{} }

func (b blockingForwarder) Forward([]byte) { <-b.release }

func TestBlockedForwarderNeverBlocksAppend(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	bf := blockingForwarder{release: make(chan struct{})}
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, Forward: bf})
	done := make(chan struct{})
	go func() {
		defer close(done)
		appendN(t, l, forwardBuffer+500, "m")
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Append blocked behind the forwarder")
	}
	close(bf.release)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriterForwarderWritesEachLine(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := lockedWriter{mu: &mu, b: &buf}
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir, SigningKey: newKey(t), Forward: NewWriterForwarder(w)})
	recs := appendN(t, l, 2, "m")
	l.Close() // waits for the forwarder to drain
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) < 2 || lines[0] != string(recs[0].Raw) || lines[1] != string(recs[1].Raw) {
		t.Fatalf("forwarded %q", lines)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
