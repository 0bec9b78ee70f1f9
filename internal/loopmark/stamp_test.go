package loopmark

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/textproto"
)

func TestStampedCopyChecksAndKeepsItsBody(t *testing.T) {
	m, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	msg := "From: <dr@clinic.test>\r\nMessage-ID: <a@clinic.test>\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIIB...\r\nrest\r\n"
	out, err := io.ReadAll(m.Stamp(strings.NewReader(msg), "smime", "abc123", now))
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(bytes.NewReader(out))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		t.Fatal(err)
	}
	if mk, ok := m.Check(&h, now.Add(time.Hour)); !ok || mk.Method != "smime" || mk.ID != "abc123" {
		t.Fatalf("stamped copy does not check: %+v %v\n%s", mk, ok, out)
	}
	if body, _ := io.ReadAll(br); string(body) != "MIIB...\r\nrest\r\n" {
		t.Fatalf("body changed: %q", body)
	}
	if _, err := io.ReadAll(m.Stamp(strings.NewReader("no header at all"), "smime", "abc", now)); err == nil {
		t.Fatal("a message without a header was stamped")
	}
}
