package spool

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A quarantined message is listed until it is marked reported; its
// envelope is readable when only the body is damaged, not when the file
// is torn.
func TestQuarantinedMessagesAreListedUntilReportedWithTheirEnvelope(t *testing.T) {
	dir, key := t.TempDir(), testKey(t)
	s := openSpool(t, dir, key)
	bodyHurt := commit(t, s, make([]byte, 200<<10), nil)
	torn := commit(t, s, make([]byte, 200<<10), nil)
	flipByte(t, filepath.Join(dir, "msg", bodyHurt), 100)
	p := filepath.Join(dir, "msg", torn)
	st, _ := os.Stat(p)
	os.Truncate(p, st.Size()/2)

	s2, _, q := restart(t, dir, key)
	if !slices.Equal(q, []string{bodyHurt, torn}) {
		t.Fatalf("quarantined %v", q)
	}
	un, err := s2.Unreported()
	if err != nil || !slices.Equal(un, []string{bodyHurt, torn}) {
		t.Fatalf("Unreported = %v, %v", un, err)
	}
	env, err := s2.QuarantinedEnvelope(bodyHurt)
	if err != nil || env.ID != bodyHurt || env.From != "sender@clinic.example" || len(env.Recipients) != 1 {
		t.Fatalf("envelope of a message with a damaged body: %+v, %v", env, err)
	}
	if env, err := s2.QuarantinedEnvelope(torn); err == nil || !isCorrupt(err) {
		t.Fatalf("envelope of a torn file: %+v, %v; want a corruption error", env, err)
	}
	if err := s2.MarkReported(bodyHurt); err != nil {
		t.Fatal(err)
	}
	// The mark survives a restart; the other stays to report.
	s3, _, _ := restart(t, dir, key)
	if un, _ := s3.Unreported(); !slices.Equal(un, []string{torn}) {
		t.Fatalf("Unreported after marking one = %v", un)
	}
}
