package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/gateway/dkim"
)

func runDKIMCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newDKIM()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDKIMKeygenWritesPrivateKeyAndPrintsTXTRecord(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []string{"rsa", "ed25519"} {
		keyFile := filepath.Join(dir, alg+".pem")
		out, err := runDKIMCmd(t, "keygen", "Example.COM", "s1", "--alg", alg, "--out", keyFile)
		if err != nil {
			t.Fatalf("%s: %v\n%s", alg, err, out)
		}
		fi, err := os.Stat(keyFile)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: key file %v, err %v", alg, fi.Mode(), err)
		}
		k, err := dkim.LoadKey("example.com", "s1", keyFile)
		if err != nil {
			t.Fatalf("%s: written key does not load: %v", alg, err)
		}
		name, value := dkim.TXTRecord("example.com", "s1", k.Signer.Public())
		for _, want := range []string{
			dkim.ZoneFileTXT(name, value),
			`s1._domainkey.example.com. IN TXT ( "v=DKIM1; k=` + alg + `; " "p=`,
			"- domain: example.com\n      selector: s1\n      key_file: " + keyFile,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: output lacks %q:\n%s", alg, want, out)
			}
		}
		// Never overwrite a key.
		before, _ := os.ReadFile(keyFile)
		if _, err := runDKIMCmd(t, "keygen", "example.com", "s1", "--alg", alg, "--out", keyFile); err == nil || !strings.Contains(err.Error(), "not overwriting") {
			t.Errorf("%s: second keygen: %v", alg, err)
		}
		if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
			t.Errorf("%s: key file changed", alg)
		}
	}
	if _, err := runDKIMCmd(t, "keygen", "example.com", "../x"); err == nil {
		t.Error("selector with a slash accepted")
	}
	if _, err := runDKIMCmd(t, "keygen", "example.com", "s", "--alg", "dsa", "--out", filepath.Join(dir, "d.pem")); err == nil {
		t.Error("--alg dsa accepted")
	}
}

func TestDKIMTestPrintsSignedMessage(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "k.pem")
	if out, err := runDKIMCmd(t, "keygen", "example.com", "s1", "--alg", "ed25519", "--out", keyFile); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	msg := filepath.Join(dir, "m.eml")
	body := "From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhello\r\n"
	if err := os.WriteFile(msg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runDKIMCmd(t, "test", "--key", keyFile, "--domain", "example.com", "--selector", "s1", msg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "DKIM-Signature:") || !strings.HasSuffix(out, body) {
		t.Fatalf("output:\n%s", out)
	}
	if _, err := runDKIMCmd(t, "test", "--key", keyFile, "--domain", "example.net", "--selector", "s1", msg); err == nil {
		t.Error("message from another domain reported signed")
	}
}

// Without --key, dkim test signs with the configuration's dkim.keys, as
// the relay does.
func TestDKIMTestUsesTheConfiguredKeys(t *testing.T) {
	cfgPath := exampleConfig(t)
	dir := filepath.Dir(cfgPath)
	keyFile := filepath.Join(dir, "k.pem")
	if out, err := runDKIMCmd(t, "keygen", "example.com", "s1", "--alg", "ed25519", "--out", keyFile); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cfg, _ := os.ReadFile(cfgPath)
	cfg = bytes.Replace(cfg, []byte("  keys: []"), []byte("  keys: [{domain: example.com, selector: s1, key_file: k.pem}]"), 1)
	os.WriteFile(cfgPath, cfg, 0o600)
	msg := filepath.Join(dir, "m.eml")
	os.WriteFile(msg, []byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n\r\nhello\r\n"), 0o600)
	out, code := runCLI(t, "dkim", "test", "-c", cfgPath, msg)
	if code != 0 || !strings.HasPrefix(out, "DKIM-Signature:") || !strings.Contains(out, "d=example.com") || !strings.Contains(out, "s=s1") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if out, code := runCLI(t, "dkim", "test", "-c", cfgPath, "--key", keyFile, msg); code == 0 {
		t.Errorf("--key alone: exit %d\n%s", code, out)
	}
}
