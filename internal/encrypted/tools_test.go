package encrypted

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

// run runs a tool with stdin and returns stdout, failing the test on error.
func run(t *testing.T, env []string, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), env...)
	c.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// gpgHome makes a throwaway keyring with one key for t@example.org and
// stops its agent when the test ends.
func gpgHome(t *testing.T) (gpg func(stdin []byte, args ...string) []byte) {
	testtool.Require(t, "gpg")
	dir, err := os.MkdirTemp("", "sgenc") // short: the agent socket path must fit sockaddr_un
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GNUPGHOME=" + dir}
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "gpg-agent")
		c.Env = append(os.Environ(), env...)
		_ = c.Run()
		os.RemoveAll(dir)
	})
	gpg = func(stdin []byte, args ...string) []byte {
		base := []string{"--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always"}
		return run(t, env, stdin, "gpg", append(base, args...)...)
	}
	gpg(nil, "--passphrase", "", "--quick-gen-key", "Test <t@example.org>", "default", "default", "never")
	return gpg
}

// pgpMIME wraps an armored gpg output in RFC 3156 PGP/MIME.
func pgpMIME(armored []byte) []byte {
	return []byte("From: a@example.org\r\nTo: t@example.org\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\r\n" +
		strings.ReplaceAll(string(armored), "\n", "\r\n") + "\r\n--b--\r\n")
}

// smimeFiles writes a throwaway certificate and key for openssl.
func smimeFiles(t *testing.T) (cert, key string) {
	testtool.Require(t, "openssl")
	dir := t.TempDir()
	k := testpki.RSAKey(2048, 0)
	c := testpki.SelfSigned(t, &x509.Certificate{
		SerialNumber: testpki.Serial(), Subject: pkix.Name{CommonName: "t@example.org"},
		EmailAddresses: []string{"t@example.org"},
		NotBefore:      time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}, k)
	cert, key = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	testpki.WritePEM(t, cert, "CERTIFICATE", c.Raw)
	testpki.WriteKey(t, key, k)
	return cert, key
}

const inner = "Content-Type: text/plain\r\n\r\nPHI-MARKER lab results\r\n"

func withHeader(msg []byte) []byte {
	return append([]byte("From: a@example.org\r\nTo: t@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"), msg...)
}
