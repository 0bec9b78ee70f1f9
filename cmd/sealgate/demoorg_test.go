package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testtool"
)

// bob.p12 is what a demo user imports into a mail client: it must open in
// gpgsm 2.2 (GPGME clients) and in OpenSSL 3 without -legacy.
func TestDemoP12ImportsIntoGPGSMAndOpenSSL(t *testing.T) {
	testtool.RequireAll(t, "Debian packages gpgsm, openssl", "gpgsm", "openssl")
	dir := t.TempDir()
	if err := demoKeys(dir, filepath.Join(dir, "keys")); err != nil {
		t.Fatal(err)
	}
	if err := demoP12(dir); err != nil {
		t.Fatal(err)
	}
	p12 := filepath.Join(dir, "bob.p12")
	if fi, err := os.Stat(p12); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bob.p12: %v %v", err, fi)
	}
	out, err := exec.Command("openssl", "pkcs12", "-in", p12, "-passin", "pass:"+demoP12Password, "-nodes").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PRIVATE KEY") || !strings.Contains(string(out), "BEGIN CERTIFICATE") {
		t.Fatalf("openssl pkcs12: %v\n%s", err, out)
	}
	// gpgsm-agent's socket path must fit in sockaddr_un: a short home.
	home, err := os.MkdirTemp("", "sgp12")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "gpg-agent")
		c.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = c.Run()
		os.RemoveAll(home)
	})
	c := exec.Command("gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--import", p12)
	c.Env = append(os.Environ(), "GNUPGHOME="+home)
	c.Stdin = strings.NewReader(demoP12Password + "\n")
	if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), "secret keys imported: 1") {
		t.Fatalf("gpgsm --import bob.p12: %v\n%s", err, out)
	}
}
