package audit

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	childDirEnv = "SEALGATE_AUDIT_CRASH_CHILD_DIR"
	childKeyEnv = "SEALGATE_AUDIT_CRASH_CHILD_KEY"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		crashChild(dir, os.Getenv(childKeyEnv))
		return
	}
	os.Exit(m.Run())
}

// crashChild appends from 16 goroutines as fast as it can and prints
// "ack <seq>" after each Append returns, until it is killed.
func crashChild(dir, keyHex string) {
	seed, err := hex.DecodeString(keyHex)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	l, err := Open(Options{Dir: dir, SigningKey: ed25519.NewKeyFromSeed(seed), CheckpointEvery: 100, SegmentMaxBytes: 64 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	out := os.Stdout
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				r, err := l.Append(Event{Type: TypeDelivery, MsgID: fmt.Sprintf("g%d-%d", g, i), Data: Delivery{Recipient: "a@example.org", Outcome: "delivered"}})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d\n", r.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestKill9DuringHeavyAppendsLosesNoAcknowledgedRecord(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	acked := map[uint64]bool{}
	for round := 0; round < 2; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childKeyEnv+"="+hex.EncodeToString(key.Seed()))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		killed := false
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for sc.Scan() {
			s, ok := strings.CutPrefix(sc.Text(), "ack ")
			if !ok {
				continue
			}
			seq, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				t.Fatalf("child said %q", sc.Text())
			}
			acked[seq] = true
			if n++; n == 2000 && !killed {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		deadline.Stop()
		cmd.Wait()
		if n < 2000 {
			t.Fatalf("round %d: child acked only %d", round, n)
		}
		// Reopen as the daemon would after the crash.
		l := mustOpen(t, Options{Dir: dir, SigningKey: key, CheckpointEvery: 100, SegmentMaxBytes: 64 << 10})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		res := mustVerify(t, dir, pubOf(key))
		have := map[uint64]bool{}
		if err := Scan(dir, Filter{}, func(r Record) error { have[r.Seq] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		for seq := range acked {
			if !have[seq] {
				t.Fatalf("round %d: acknowledged seq %d missing", round, seq)
			}
		}
		t.Logf("round %d: %d acked, %d records in %d segments", round, len(acked), res.Records, res.Segments)
	}
}
