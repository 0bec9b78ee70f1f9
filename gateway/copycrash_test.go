package gateway

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/internal/capture"
)

// stallingHop accepts connections and never greets: a delivery attempt to
// it stays in flight, so nothing after the submit (no outcome, no state)
// happens before the kill. accepted is signalled on the first connection.
func stallingHop(t *testing.T) (ln net.Listener, accepted chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = make(chan struct{}, 1)
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	return ln, accepted
}

// spoolCopies returns the copy files (msg/<id>.copy.<name>) and the state
// files under the data dir.
func spoolCopies(t *testing.T, env *testEnv) (copies []string, states []string) {
	t.Helper()
	filepath.WalkDir(filepath.Join(env.Dir, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if filepath.Base(filepath.Dir(p)) == "msg" {
			switch {
			case strings.Contains(filepath.Base(p), ".copy.") && d.Type().IsRegular():
				copies = append(copies, p)
			case strings.HasSuffix(p, ".state"):
				states = append(states, p)
			}
		}
		return nil
	})
	return copies, states
}

// requirePGPOnly fails unless sent carries none of phiMessage's PHI in the
// clear and its PGP block is what gpg (decrypt) opens to that message.
func requirePGPOnly(t *testing.T, sent []byte, decrypt func([]byte) string) {
	t.Helper()
	for _, leak := range []string{"078-05-1121", "Quackenbush", "99887766"} {
		if bytes.Contains(sent, []byte(leak)) {
			t.Fatalf("%q sent in the clear after the crash:\n%s", leak, sent)
		}
	}
	start := bytes.Index(sent, []byte("-----BEGIN PGP MESSAGE-----"))
	end := bytes.Index(sent, []byte("-----END PGP MESSAGE-----"))
	if start < 0 || end < 0 {
		t.Fatalf("not PGP-encrypted after the crash:\n%.600s", sent)
	}
	if plain := decrypt(sent[start : end+len("-----END PGP MESSAGE-----")]); !strings.Contains(plain, "SSN: 078-05-1121") {
		t.Fatalf("gpg opened something else:\n%s", plain)
	}
}

// crashBeforeStateSaved accepts one PHI message for a recipient with a PGP
// key, lets the daemon process it (encrypted copy written, submitted)
// while the next hop stalls, and kills it with SIGKILL before any state
// is saved. damage then plays what a lost page cache leaves of the copy
// file (spool.copy_memory 0); a nil damage keeps the default, where the
// copy is in memory only and the crash takes it.
// After a restart with the real next hop, the message must arrive
// PGP-encrypted (gpg opens it), never in the clear, and the audit chain
// must verify and show the message decided before it was delivered.
func crashBeforeStateSaved(t *testing.T, damage func(t *testing.T, copyFile string)) {
	if testing.Short() {
		t.Skip("starts and kills a real daemon")
	}
	pub, decrypt := gpgRecipient(t, "lab@partner.test")
	hop, accepted := stallingHop(t)
	hopAddr := hop.Addr().String()
	env := writeConfig(t, hopAddr, "")
	if damage != nil {
		copiesToFiles(t, env)
	}
	importKey(t, env, "lab.asc", pub)
	d := startDaemon(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Biopsy results for Z. Quackenbush")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-accepted: // processed, copy written, submitted: the relay is connecting
	case <-time.After(30 * time.Second):
		t.Fatal("the relay never tried the next hop")
	}
	d.kill9(t)
	hop.Close()

	copies, states := spoolCopies(t, env)
	msgID := ""
	if damage == nil {
		if len(copies) != 0 || len(states) != 0 {
			t.Fatalf("before restart: copies %v, states %v; want none (the copy was in memory)", copies, states)
		}
		msgID = spooledIDs(t, env)[0]
	} else {
		if len(copies) != 1 || len(states) != 0 {
			t.Fatalf("before restart: copies %v, states %v; want one copy and no state", copies, states)
		}
		msgID, _, _ = strings.Cut(filepath.Base(copies[0]), ".")
		damage(t, copies[0])
	}

	sink := startSink(t, hopAddr)
	startDaemon(t, env)
	if !sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) >= 1 }) {
		t.Fatal("the accepted message was not delivered after the restart")
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would be allowed; more would be a loop
	for _, m := range sink.Messages() {
		requirePGPOnly(t, m.Data, decrypt)
	}

	// The audit trail: the chain verifies, and the message was received,
	// decided (again, after the restart) before its delivery was recorded.
	var types []string
	waitFor(t, 10*time.Second, "the delivery record", func() bool {
		types = typesOf(auditRecords(t, env), msgID)
		return slices.Contains(types, audit.TypeDelivery)
	})
	first := func(typ string) int { return slices.Index(types, typ) }
	lastDecision := -1
	for i, typ := range types {
		if typ == audit.TypeDecision && i < first(audit.TypeDelivery) {
			lastDecision = i
		}
	}
	if first(audit.TypeReceived) != 0 || lastDecision < 0 {
		t.Fatalf("audit of %s: %v; want received, then a decision before the delivery", msgID, types)
	}
	for _, r := range auditRecords(t, env) {
		if r.MsgID == msgID && r.Type == audit.TypeDecision {
			var dec audit.Decision
			json.Unmarshal(r.Data, &dec)
			if len(dec.Recipients) != 1 || dec.Recipients[0].Method != "pgp" {
				t.Errorf("decision after the crash: %+v", dec)
			}
		}
	}
	cmd := exec.Command(sealgateBinary(t), "audit", "verify", "-c", env.CfgPath)
	cmd.Dir = env.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("audit verify after the crash: %v\n%s", err, out)
	}
}

func TestCrashBeforeStateSavedDeliversEncryptedOnRestart(t *testing.T) {
	crashBeforeStateSaved(t, func(*testing.T, string) {}) // the copy file survived (page cache)
}

// The default keeps a copy in memory until the message is delivered or
// deferred: the crash takes it, and the message is encrypted again.
func TestCrashLosesTheCopyInMemoryAndEncryptsAgain(t *testing.T) {
	crashBeforeStateSaved(t, nil)
}

// copiesToFiles sets spool.copy_memory to 0 in env's configuration.
func copiesToFiles(t *testing.T, env *testEnv) {
	t.Helper()
	cfg, err := os.ReadFile(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(cfg), "  key_file: spool.key\n", "  key_file: spool.key\n  copy_memory: 0\n", 1)
	if out == string(cfg) {
		t.Fatal("no spool.key_file line to add copy_memory after")
	}
	if err := os.WriteFile(env.CfgPath, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
}

// spooledIDs lists the message files in the spool.
func spooledIDs(t *testing.T, env *testEnv) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(env.Dir, "data", "spool", "msg"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		if !strings.Contains(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	if len(ids) == 0 {
		t.Fatal("no message in the spool")
	}
	return ids
}

func TestTornCopyAfterCrashIsEncryptedAgainNeverSentInTheClear(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, p string){
		"torn": func(t *testing.T, p string) {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, st.Size()/2); err != nil {
				t.Fatal(err)
			}
		},
		"empty": func(t *testing.T, p string) {
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
		},
		"missing": func(t *testing.T, p string) {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) { crashBeforeStateSaved(t, damage) })
	}
}

// busyHop greets every connection with 421, so each attempt is deferred.
func busyHop(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("421 4.3.2 busy, try later\r\n"))
			c.Close()
		}
	}()
	return ln
}

// A deferral saves the queue state, and before it the copy that was in
// memory is written to a file and fsynced: after a kill -9 the message is
// delivered from that copy (decided once, never encrypted again), and gpg
// opens it.
func TestDeferredCopyLeavesMemoryForADurableFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a real daemon")
	}
	pub, decrypt := gpgRecipient(t, "lab@partner.test")
	hop := busyHop(t)
	hopAddr := hop.Addr().String()
	env := writeConfig(t, hopAddr, "")
	importKey(t, env, "lab.asc", pub)
	d := startDaemon(t, env)
	if err := send(env.Listen, "dr@clinic.test", []string{"lab@partner.test"}, phiMessage("lab@partner.test", "Biopsy results for Z. Quackenbush")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "a saved state and its copy file", func() bool {
		copies, states := spoolCopies(t, env)
		return len(copies) == 1 && len(states) == 1
	})
	d.kill9(t)
	hop.Close()
	msgID := spooledIDs(t, env)[0]

	sink := startSink(t, hopAddr)
	startDaemon(t, env)
	control.Do(filepath.Join(env.Dir, "data", "control.sock"), control.Request{Op: "flush"}, nil)
	if !sink.WaitFor(60*time.Second, func(ms []capture.Message) bool { return len(ms) >= 1 }) {
		t.Fatal("the deferred message was not delivered after the restart")
	}
	requirePGPOnly(t, sink.Messages()[0].Data, decrypt)
	var types []string
	waitFor(t, 10*time.Second, "the delivery record", func() bool {
		types = typesOf(auditRecords(t, env), msgID)
		return slices.Contains(types, audit.TypeDelivery)
	})
	if n := len(slices.DeleteFunc(slices.Clone(types), func(s string) bool { return s != audit.TypeDecision })); n != 1 {
		t.Fatalf("audit of %s: %v; want one decision (the durable copy was sent, not made again)", msgID, types)
	}
}
