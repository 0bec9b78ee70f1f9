package keystore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testtool"
)

func run(t *testing.T, env []string, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr)
	}
	return out
}

func TestOpenSSLCertificatesAndBundlesImport(t *testing.T) {
	openssl := testtool.Require(t, "openssl")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	// openssl req -x509 marks the certificate CA:TRUE: a self-signed
	// personal certificate still imports.
	run(t, nil, openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=Dr Test/emailAddress=Dr.Test@Clinic.example",
		"-addext", "subjectAltName=email:drt@clinic.example")
	derFile, p7der, p7pem := filepath.Join(dir, "c.der"), filepath.Join(dir, "b.p7b"), filepath.Join(dir, "b.p7c")
	run(t, nil, openssl, "x509", "-in", cert, "-outform", "DER", "-out", derFile)
	run(t, nil, openssl, "crl2pkcs7", "-nocrl", "-certfile", cert, "-outform", "DER", "-out", p7der)
	run(t, nil, openssl, "crl2pkcs7", "-nocrl", "-certfile", cert, "-out", p7pem)

	s := openTestStore(t, t.TempDir(), &fakeClock{t: time.Now()})
	for _, f := range []string{cert, derFile, p7der, p7pem} {
		data, _ := os.ReadFile(f)
		res := mustImport(t, s, f, data)
		if len(res.Imported) != 1 || len(res.Refused) != 0 {
			t.Fatalf("%s: imported %d refused %+v", filepath.Base(f), len(res.Imported), res.Refused)
		}
	}
	data, _ := os.ReadFile(key)
	if res := mustImport(t, s, key, data); len(res.Refused) != 1 || res.Refused[0].Reason != refusePrivate {
		t.Fatalf("private key: %+v", res)
	}
	for _, a := range []string{"DRT@clinic.example", "dr.test@clinic.example"} {
		if got := lookup(t, s, a); len(got) != 1 {
			t.Errorf("%s: %d entries", a, len(got))
		}
	}
}

func TestGnuPGExportedKeysImport(t *testing.T) {
	gpg := testtool.Require(t, "gpg")
	home, err := os.MkdirTemp("", "gpg") // short path: gpg-agent's socket name has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	os.Chmod(home, 0o700)
	env := []string{"GNUPGHOME=" + home}
	base := []string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}
	run(t, env, gpg, append(base, "--quick-gen-key", "Curve User <Curve@Example.org>", "ed25519", "sign,cert", "2y")...)
	run(t, env, gpg, append(base, "--quick-gen-key", "RSA User <rsa@example.org>", "rsa2048", "default", "never")...)
	armored := run(t, env, gpg, "--batch", "--armor", "--export")
	binary := run(t, env, gpg, "--batch", "--export")
	secret := run(t, env, gpg, append(base, "--armor", "--export-secret-keys")...)

	s := openTestStore(t, t.TempDir(), &fakeClock{t: time.Now()})
	for name, data := range map[string][]byte{"ring.asc": armored, "ring.gpg": binary} {
		res := mustImport(t, s, name, data)
		if len(res.Imported) != 2 || len(res.Refused) != 0 {
			t.Fatalf("%s: imported %d refused %+v", name, len(res.Imported), res.Refused)
		}
	}
	got := lookup(t, s, "curve@example.org")
	if len(got) != 1 || got[0].NotAfter.IsZero() {
		t.Fatalf("curve key: %+v", got)
	}
	if got := lookup(t, s, "rsa@example.org"); len(got) != 1 || !got[0].NotAfter.IsZero() {
		t.Fatalf("rsa key: %+v", got)
	}
	res := mustImport(t, s, "secret.asc", secret)
	if len(res.Imported) != 0 || len(res.Refused) == 0 || !strings.Contains(res.Refused[0].Reason, refusePrivate) {
		t.Fatalf("secret export: %+v", res)
	}
}
