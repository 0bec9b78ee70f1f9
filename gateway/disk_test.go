package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway/audit"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/internal/testtool"
)

// snapshotDir maps every file under dir to its mode, size and content hash.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := info.Mode().String()
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += fmt.Sprintf(" %d %x", len(data), sha256.Sum256(data))
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A second daemon on the same data directory fails at once, naming the
// first one's pid, and leaves every file of the running daemon as it was:
// the first daemon goes on recording, and its audit log verifies.
func TestSecondDaemonOnSameDataDirFailsAndTouchesNothing(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "first")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the first delivery", func() bool { return g.Relay().Depth() == 0 && sink.Count() == 1 })
	time.Sleep(200 * time.Millisecond) // the delivery record lands after the removal
	dataDir := filepath.Join(env.Dir, "data")
	before := snapshotDir(t, dataDir)

	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = g2.Start()
	if err == nil {
		g2.Stop(t.Context())
		t.Fatal("a second daemon started on a data directory in use")
	}
	want := fmt.Sprintf("sealgate: %s is in use by pid %d", dataDir, os.Getpid())
	if err.Error() != want {
		t.Fatalf("second start: %q, want %q", err, want)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second start took %s to fail; it must fail at once", d)
	}
	if after := snapshotDir(t, dataDir); !maps.Equal(before, after) {
		for p, v := range after {
			if before[p] != v {
				t.Errorf("%s changed by the failed start: %q -> %q", p, before[p], v)
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				t.Errorf("%s removed by the failed start", p)
			}
		}
	}

	// The first daemon still works and its records are all there.
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "second")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the second delivery", func() bool { return g.Relay().Depth() == 0 && sink.Count() == 2 })
	time.Sleep(200 * time.Millisecond)
	if err := g.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(filepath.Join(dataDir, "audit"), auditPub(t, env), "")
	if err != nil || res.Problem != nil || res.UnsignedTail != 0 {
		t.Fatalf("verify after the second start was refused: %+v %v", res, err)
	}
	received := 0
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeReceived {
			received++
		}
	}
	if received != 2 {
		t.Fatalf("%d received records in the verified log, want 2", received)
	}

	// Once the first daemon is gone, the directory is free again.
	g3, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g3.Start(); err != nil {
		t.Fatalf("start after the first daemon stopped: %v", err)
	}
	g3.Stop(t.Context())
}

// The lock file names the holder's pid, and the lock is released when the
// holder stops (the file itself stays).
func TestDataDirLockWritesPIDAndIsReleased(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, LockFile))
	if strings.TrimSpace(string(data)) != fmt.Sprint(os.Getpid()) {
		t.Fatalf("lock file holds %q, want our pid", data)
	}
	if _, err := LockDataDir(dir); err == nil || !strings.Contains(err.Error(), "in use by pid") {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
}

// mountTmpfs mounts a small tmpfs (a real disk that fills) for the test.
// It needs root: without it the test skips, unless SEALGATE_REQUIRE_INTEROP=1.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	return mountTmpfsAt(t, t.TempDir(), size)
}

// mountTmpfsAt mounts the tmpfs on mnt (created if missing).
func mountTmpfsAt(t *testing.T, mnt, size string) string {
	t.Helper()
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		testtool.Unavailable(t, "cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	return mnt
}

// resizeTmpfs grows (or shrinks) a tmpfs from mountTmpfs in place.
func resizeTmpfs(t *testing.T, mnt, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount %s size=%s: %v %s", mnt, size, err, out)
	}
}

// fillDisk writes a file in dir until the filesystem is full and returns
// its path (remove it to give the space back).
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	return filler
}

// With the audit disk full and the next hop reachable, no queued message
// leaves without its records: every delivery has an attempt record written
// before it connected, and every delivered message a delivery record,
// written before it left the queue (once the disk has room again).
func TestDeliveryNeverLeavesWithoutItsAuditRecord(t *testing.T) {
	mnt := mountTmpfs(t, "256k")
	sink := startSink(t, "127.0.0.1:0")
	sink.SetDown(true)
	env := writeConfig(t, sink.Addr(), "")
	cfg, _ := os.ReadFile(env.CfgPath)
	cfg = bytes.Replace(cfg, []byte("  signing_key_file: audit.key\n"), []byte("  signing_key_file: audit.key\n  dir: "+mnt+"\n"), 1)
	os.WriteFile(env.CfgPath, cfg, 0o600)
	g := startGateway(t, env)

	const n = 10
	for i := range n {
		if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", fmt.Sprint("full-", i))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "10 queued messages", func() bool { return g.Relay().Depth() == n })

	filler := fillDisk(t, mnt)
	sink.SetDown(false)
	control.Do(filepath.Join(env.Dir, "data", "control.sock"), control.Request{Op: "flush"}, nil)
	time.Sleep(4 * time.Second)
	t.Logf("%d messages reached the next hop while the audit disk was full; %d still queued", sink.Count(), g.Relay().Depth())

	os.Remove(filler)
	waitFor(t, 60*time.Second, "an empty queue after the disk came back", func() bool { return g.Relay().Depth() == 0 })
	time.Sleep(200 * time.Millisecond)
	if err := g.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := audit.Verify(mnt, auditPub(t, env), "")
	if err != nil || res.Problem != nil {
		t.Fatalf("chain after the disk-full episode: %+v %v", res, err)
	}

	// marker -> msg_id, and per msg_id the attempt and delivered records.
	ids := map[string]string{}
	attempts, delivered := map[string]int{}, map[string]int{}
	if err := audit.Scan(mnt, audit.Filter{}, func(r audit.Record) error {
		switch r.Type {
		case audit.TypeReceived:
			ids[strings.TrimSuffix(strings.Trim(r.MessageID, "<>"), "@clinic.test")] = r.MsgID
		case audit.TypeAttempt:
			attempts[r.MsgID]++
		case audit.TypeDelivery:
			var d audit.Delivery
			json.Unmarshal(r.Data, &d)
			if d.Outcome == "delivered" {
				delivered[r.MsgID]++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, m := range sink.Messages() {
		for i := range n {
			if marker := fmt.Sprint("full-", i); bytes.Contains(m.Data, []byte("<"+marker+"@")) {
				sent[marker]++
			}
		}
	}
	for i := range n {
		marker := fmt.Sprint("full-", i)
		id := ids[marker]
		switch {
		case id == "":
			t.Errorf("%s: no received record", marker)
		case sent[marker] == 0:
			t.Errorf("%s (%s) never delivered", marker, id)
		case delivered[id] == 0:
			t.Errorf("%s (%s) delivered %d time(s) with no delivery record", marker, id, sent[marker])
		case attempts[id] < sent[marker]:
			t.Errorf("%s (%s) delivered %d time(s) but only %d attempt record(s)", marker, id, sent[marker], attempts[id])
		}
	}
}

// With the spool's disk full, mail is refused with a temporary code; once
// the disk is grown, the gateway takes and delivers mail again by itself,
// without a restart.
func TestSpoolDiskFullResumesWhenSpaceReturns(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	mnt := mountTmpfsAt(t, filepath.Join(env.Dir, "data", "spool"), "1m")
	g := startGateway(t, env)
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "before")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the first delivery", func() bool { return sink.Count() == 1 && g.Relay().Depth() == 0 })

	fillDisk(t, mnt) // stays: the disk is grown, not emptied
	refused := false
	for i := 0; i < 20 && !refused; i++ {
		err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", fmt.Sprint("full-", i)))
		var se *smtp.SMTPError
		if err != nil && (!errors.As(err, &se) || se.Code/100 != 4) {
			t.Fatalf("on a full spool disk: %v, want a 4xx", err)
		}
		refused = err != nil
	}
	if !refused {
		t.Fatal("mail still accepted on a full spool disk")
	}
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "refused")); err == nil {
		t.Fatal("mail accepted again while the spool disk is still full")
	}

	resizeTmpfs(t, mnt, "8m")
	waitFor(t, 15*time.Second, "mail accepted again after the disk grew", func() bool {
		return send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "after")) == nil
	})
	waitFor(t, 20*time.Second, "delivery after the disk grew", func() bool {
		for _, m := range sink.Messages() {
			if bytes.Contains(m.Data, []byte("<after@")) {
				return true
			}
		}
		return false
	})
	if err := g.healthy(); err != nil {
		t.Fatalf("still degraded after the disk grew: %v", err)
	}
}

// A message file found torn or corrupt at start is quarantined, recorded in
// the audit log and counted; its sender gets a DSN when the envelope still
// authenticates. A later start reports nothing again.
func TestQuarantinedAtStartIsAuditedCountedAndBounced(t *testing.T) {
	sink := startSink(t, "127.0.0.1:0")
	sink.SetDown(true)
	env := writeConfig(t, sink.Addr(), "")
	g := startGateway(t, env)
	for _, m := range []string{"corrupt", "torn"} {
		if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", m)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "two queued messages", func() bool { return g.Relay().Depth() == 2 })
	g.Stop(t.Context())
	ids := map[string]string{}
	for _, r := range auditRecords(t, env) {
		if r.Type == audit.TypeReceived {
			ids[strings.TrimSuffix(strings.Trim(r.MessageID, "<>"), "@clinic.test")] = r.MsgID
		}
	}
	msgDir := filepath.Join(env.Dir, "data", "spool", "msg")
	// Outside damage: a flipped body byte keeps the envelope readable, a
	// cut file loses its footer and with it the envelope.
	p := filepath.Join(msgDir, ids["corrupt"])
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[40] ^= 0xff
	os.WriteFile(p, data, 0o600)
	p = filepath.Join(msgDir, ids["torn"])
	st, _ := os.Stat(p)
	os.Truncate(p, st.Size()/2)

	sink.SetDown(false)
	g2 := startGateway(t, env)
	waitFor(t, 20*time.Second, "the DSN for the corrupt message", func() bool {
		for _, m := range sink.Messages() {
			if len(m.Recipients) == 1 && m.Recipients[0] == "a@clinic.test" {
				return true
			}
		}
		return false
	})
	var dsn []byte
	for _, m := range sink.Messages() {
		if m.Recipients[0] == "a@clinic.test" {
			if dsn != nil {
				t.Fatal("more than one DSN: the torn message has no readable envelope to answer")
			}
			dsn = m.Data
		}
	}
	for _, want := range []string{"Final-Recipient: rfc822; b@partner.test", "Action: failed", "Status: 5.3.0"} {
		if !bytes.Contains(dsn, []byte(want)) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn)
		}
	}
	if bytes.Contains(dsn, []byte("Patient note")) {
		t.Error("DSN quotes the damaged message's body")
	}
	mfs, err := g2.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	count := -1.0
	for _, mf := range mfs {
		if mf.GetName() == "sealgate_spool_quarantined_total" {
			count = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if count != 2 {
		t.Errorf("sealgate_spool_quarantined_total = %v, want 2", count)
	}
	time.Sleep(300 * time.Millisecond)
	g2.Stop(t.Context())

	readable := map[string]bool{}
	dsnFor := map[string]bool{}
	for _, r := range auditRecords(t, env) {
		switch r.Type {
		case audit.TypeQuarantined:
			var q audit.Quarantined
			json.Unmarshal(r.Data, &q)
			if _, dup := readable[r.MsgID]; dup {
				t.Errorf("%s reported twice", r.MsgID)
			}
			readable[r.MsgID] = q.EnvelopeReadable
			if q.File != filepath.Join("quarantine", r.MsgID) {
				t.Errorf("quarantined record names %q", q.File)
			}
		case audit.TypeDSNSent:
			dsnFor[r.MsgID] = true
		}
	}
	if r, ok := readable[ids["corrupt"]]; !ok || !r || !dsnFor[ids["corrupt"]] {
		t.Errorf("corrupt message: quarantined record %v (envelope readable %v), dsn_sent %v", ok, r, dsnFor[ids["corrupt"]])
	}
	if r, ok := readable[ids["torn"]]; !ok || r || dsnFor[ids["torn"]] {
		t.Errorf("torn message: quarantined record %v (envelope readable %v), dsn_sent %v", ok, r, dsnFor[ids["torn"]])
	}

	// A third start has nothing new to report.
	before := len(auditRecords(t, env))
	g3 := startGateway(t, env)
	g3.Stop(t.Context())
	for _, r := range auditRecords(t, env)[before:] {
		if r.Type == audit.TypeQuarantined || r.Type == audit.TypeDSNSent {
			t.Errorf("reported again at the next start: %s", r.Raw)
		}
	}
}

// The real binary: a second `sealgate serve` on the directory of a running
// daemon exits 1 at once with the daemon's pid, and the daemon goes on.
func TestSecondServeProcessNamesTheRunningDaemonsPID(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	env := writeConfig(t, sink.Addr(), "")
	d := startDaemon(t, env)
	cmd := exec.Command(sealgateBinary(t), "serve", "-c", env.CfgPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second serve: %v, want exit status 1\n%s", err, stderr.String())
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("second serve took %s to fail", time.Since(start))
	}
	want := fmt.Sprintf("sealgate: %s is in use by pid %d\n", filepath.Join(env.Dir, "data"), d.cmd.Process.Pid)
	if !strings.HasSuffix(stderr.String(), want) || strings.Contains(stderr.String(), "sealgate: sealgate:") {
		t.Fatalf("second serve said:\n%s\nwant it to end with %q", stderr.String(), want)
	}
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, testMessage("a@clinic.test", "b@partner.test", "still-running")); err != nil {
		t.Fatalf("the first daemon after the refused second start: %v", err)
	}
	waitFor(t, 20*time.Second, "delivery by the first daemon", func() bool { return sink.Count() == 1 })
}
