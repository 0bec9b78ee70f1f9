package smtpd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
)

// swaks, an independent client, delivers over STARTTLS with AUTH PLAIN; the
// store must hold its bytes unchanged after our Received header.
func TestSwaksDeliversOverSTARTTLSWithAuthByteIdentical(t *testing.T) {
	swaks := testtool.Require(t, "swaks")
	pki := newPKI(t)
	opts := tlsOptions(t, pki)
	opts.Users = map[string]string{"u": argon2idHash("p")}
	store := &fakeStore{}
	_, addr := startServer(t, opts, store)

	msg := "From: a@example.org\r\nTo: b@example.net\r\nSubject: swaks\r\nMessage-ID: <swaks1@example.org>\r\n\r\n" +
		"line one\r\n.leading dot\r\n..two dots\r\n\r\nlast line\r\n"
	file := filepath.Join(t.TempDir(), "msg.eml")
	// swaks ends DATA with "\r\n.\r\n" itself, so the file omits the last CRLF.
	if err := os.WriteFile(file, []byte(strings.TrimSuffix(msg, "\r\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(swaks, "--server", addr, "--tls", "--auth", "PLAIN",
		"--auth-user", "u", "--auth-password", "p", "--helo", "swaks.example",
		"--from", "a@example.org", "--to", "b@example.net", "--data", file).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	msgs := store.messages()
	if len(msgs) != 1 {
		t.Fatalf("committed %d, want 1\n%s", len(msgs), out)
	}
	recv, body := msgs[0].body(t)
	if body != msg {
		t.Fatalf("body changed:\n%q\nwant\n%q", body, msg)
	}
	if !strings.Contains(recv, "from swaks.example ([127.0.0.1])") || !strings.Contains(recv, "with ESMTPSA") {
		t.Fatalf("Received = %q", recv)
	}
	if env := msgs[0].env; env.AuthUser != "u" || env.MessageID != "<swaks1@example.org>" {
		t.Fatalf("envelope = %+v", env)
	}
}
