package pgp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testtool"
)

// Sequoia's sq is a second, independent OpenPGP implementation (Rust, not
// GnuPG): keys it makes must be accepted and what we write must open in it.

// runSQ runs sq with stdin in and returns stdout; a failure ends the test
// with sq's own words.
func runSQ(t *testing.T, in []byte, args ...string) []byte {
	t.Helper()
	c := exec.Command("sq", args...)
	// sq keeps no state for these commands; HOME keeps it off the real one.
	c.Env = append(os.Environ(), "HOME="+t.TempDir())
	c.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("sq %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes()
}

// sqKey makes a key with sq and returns the secret key file and our parse of
// its certificate.
func sqKey(t *testing.T, dir, name, userID, suite string) (keyFile string, k *Key) {
	t.Helper()
	keyFile = filepath.Join(dir, name+".key")
	runSQ(t, nil, "key", "generate", "--cipher-suite", suite, "--userid", userID, "--export", keyFile)
	cert := runSQ(t, nil, "key", "extract-cert", keyFile)
	keys, err := ParseKeys(bytes.NewReader(cert))
	if err != nil || len(keys) != 1 {
		t.Fatalf("parse sq certificate: %v (%d keys)", err, len(keys))
	}
	return keyFile, keys[0]
}

func TestSequoiaDecryptsAndVerifiesWhatWeWrite(t *testing.T) {
	testtool.RequireAll(t, "Debian package sq", "sq")
	dir := t.TempDir()
	// The organisation signer, made by sq too: its armored secret key is what
	// an admin would export from Sequoia for keys.pgp_signer.
	orgKey, _ := sqKey(t, dir, "org", "Clinic <pgp@clinic.test>", "cv25519")
	if err := os.Chmod(orgKey, 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := LoadSigner(orgKey, "")
	if err != nil {
		t.Fatalf("LoadSigner on an sq key: %v", err)
	}
	orgCert := filepath.Join(dir, "org.cert")
	if err := os.WriteFile(orgCert, runSQ(t, nil, "key", "extract-cert", orgKey), 0o644); err != nil {
		t.Fatal(err)
	}
	otherKey, _ := sqKey(t, dir, "other", "Other <other@clinic.test>", "cv25519")
	otherCert := filepath.Join(dir, "other.cert")
	if err := os.WriteFile(otherCert, runSQ(t, nil, "key", "extract-cert", otherKey), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, suite string }{{"curve25519", "cv25519"}, {"rsa3072", "rsa3k"}} {
		t.Run(tc.name, func(t *testing.T) {
			keyFile, k := sqKey(t, dir, tc.name, "Bob <bob@partner.test>", tc.suite)
			if err := CheckRecipient(k, "bob@partner.test", time.Now()); err != nil {
				t.Fatalf("an sq-made key is refused: %v", err)
			}
			want := innerEntity(t, plainMsg)

			_, arm := pgpMIME(t, encryptTo(t, plainMsg, Options{}, k))
			if got := runSQ(t, arm, "decrypt", "--recipient-key", keyFile); !bytes.Equal(got, want) {
				t.Fatalf("sq decrypted:\n%q\nwant:\n%q", got, want)
			}

			// Signed and encrypted: sq exits non-zero unless the signature
			// checks against the organisation's certificate.
			_, arm = pgpMIME(t, encryptTo(t, plainMsg, Options{Signer: signer}, k))
			if got := runSQ(t, arm, "decrypt", "--recipient-key", keyFile, "--signer-cert", orgCert); !bytes.Equal(got, want) {
				t.Fatalf("sq decrypted (signed):\n%q\nwant:\n%q", got, want)
			}
			// The check is real: against another certificate sq refuses.
			c := exec.Command("sq", "decrypt", "--recipient-key", keyFile, "--signer-cert", otherCert)
			c.Env = append(os.Environ(), "HOME="+t.TempDir())
			c.Stdin = bytes.NewReader(arm)
			if out, err := c.CombinedOutput(); err == nil {
				t.Fatalf("sq accepted the signature against an unrelated certificate:\n%s", out)
			}
		})
	}
}
