package spool

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealgate/sealgate/envelope"
)

func TestWrongKeyRefusesToOpenInsteadOfQuarantiningEverything(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	s, err := Open(Options{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := s.NewMessage()
	w.Write([]byte("Subject: x\r\n\r\nbody\r\n"))
	if err := w.Commit(&envelope.Envelope{From: "a@b.test", Recipients: []envelope.Recipient{{Addr: "c@d.test"}}}); err != nil {
		t.Fatal(err)
	}
	other := make([]byte, 32)
	other[0] = 1
	if _, err := Open(Options{Dir: dir, Key: other}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: %v, want ErrWrongKey", err)
	}
	if q, _ := os.ReadDir(filepath.Join(dir, "quarantine")); len(q) != 0 {
		t.Fatalf("%d files quarantined by a wrong key", len(q))
	}
	s2, err := Open(Options{Dir: dir, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	ids, quarantined, err := s2.Recover()
	if err != nil || len(ids) != 1 || len(quarantined) != 0 {
		t.Fatalf("recover with the right key: ids=%v q=%v err=%v", ids, quarantined, err)
	}
}
