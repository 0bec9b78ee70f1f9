package main

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/sealgate/sealgate/internal/testpki"
)

func writeTestCert(t *testing.T, path string, notAfter time.Time, emails ...string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:   big.NewInt(time.Now().UnixNano()),
		Subject:        pkix.Name{CommonName: "test"},
		NotBefore:      time.Now().Add(-time.Hour),
		NotAfter:       notAfter,
		EmailAddresses: emails,
		KeyUsage:       x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
	}
	der := testpki.SelfSigned(t, tmpl, testpki.ECKey(t)).Raw
	if err := os.WriteFile(path, testpki.PEM("CERTIFICATE", der), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeTestKey(t *testing.T, path, email string, private bool) {
	t.Helper()
	e, err := openpgp.NewEntity("Test", "", email, &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	typ := openpgp.PublicKeyType
	if private {
		typ = openpgp.PrivateKeyType
	}
	w, _ := armor.Encode(&buf, typ, nil)
	if private {
		err = e.SerializePrivate(w, nil)
	} else {
		err = e.Serialize(w)
	}
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKeysImportListShowRemove(t *testing.T) {
	files := t.TempDir()
	store := filepath.Join(t.TempDir(), "keys")
	soon := filepath.Join(files, "soon.pem")
	later := filepath.Join(files, "later.pem")
	pub := filepath.Join(files, "alice.asc")
	sec := filepath.Join(files, "secret.asc")
	writeTestCert(t, soon, time.Now().Add(10*24*time.Hour), "Soon@Example.org")
	writeTestCert(t, later, time.Now().Add(200*24*time.Hour), "later@example.org")
	writeTestKey(t, pub, "alice@example.org", false)
	writeTestKey(t, sec, "s@example.org", true)

	out, code := runCLI(t, "keys", "--dir", store, "import", soon, later, pub, sec)
	if code != 0 {
		t.Fatalf("import exit %d\n%s", code, out)
	}
	if strings.Count(out, "imported ") != 3 || !strings.Contains(out, "imported smime") || !strings.Contains(out, "soon@example.org") ||
		!strings.Contains(out, "refusing a private key") {
		t.Fatalf("import output:\n%s", out)
	}

	out, code = runCLI(t, "keys", "--dir", store, "import", sec)
	if code != 1 || !strings.Contains(out, "secret.asc#1") {
		t.Fatalf("import of only a private key: exit %d\n%s", code, out)
	}

	out, code = runCLI(t, "keys", "--dir", store, "list", "--expiring", "30d", "--json")
	if code != 0 {
		t.Fatalf("list exit %d\n%s", code, out)
	}
	var rows []keyRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rows) != 1 || rows[0].Addresses[0] != "soon@example.org" || rows[0].NotAfter == nil {
		t.Fatalf("expiring rows = %+v", rows)
	}

	out, code = runCLI(t, "keys", "--dir", store, "list")
	if code != 0 || strings.Count(out, "\n") != 4 { // header + 3
		t.Fatalf("list exit %d\n%s", code, out)
	}

	out, code = runCLI(t, "keys", "--dir", store, "show", "ALICE@example.org")
	if code != 0 || !strings.Contains(out, "pgp") || !strings.Contains(out, "local:alice.asc") || !strings.Contains(out, "never") {
		t.Fatalf("show exit %d\n%s", code, out)
	}

	out, code = runCLI(t, "keys", "--dir", store, "remove", "alice@example.org")
	if code != 0 || !strings.Contains(out, "removed 1 entries") {
		t.Fatalf("remove exit %d\n%s", code, out)
	}
	if _, code = runCLI(t, "keys", "--dir", store, "show", "alice@example.org"); code != 1 {
		t.Fatalf("show after remove: exit %d", code)
	}
	if _, code = runCLI(t, "keys", "--dir", store, "remove", "alice@example.org"); code != 1 {
		t.Fatalf("second remove: exit %d", code)
	}
}

func TestKeysHasHelp(t *testing.T) {
	for _, args := range [][]string{{"keys", "--help"}, {"keys", "import", "--help"}, {"keys", "list", "--help"}, {"keys", "show", "--help"}, {"keys", "remove", "--help"}} {
		out, code := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}
