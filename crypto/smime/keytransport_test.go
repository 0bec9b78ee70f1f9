package smime

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/testpki"
	"github.com/sealgate/sealgate/internal/testtool"
)

// capsDER is an SMIMECapabilities value listing algs.
func capsDER(t testing.TB, algs ...asn1.ObjectIdentifier) []byte {
	t.Helper()
	caps := make([]smimeCapability, len(algs))
	for i, a := range algs {
		caps[i] = smimeCapability{Algorithm: a}
	}
	der, err := asn1.Marshal(caps)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// oaepTemplate is leafTemplate with an RFC 4262 SMIMECapabilities
// extension that announces RSAES-OAEP.
func oaepTemplate(t testing.TB, addr string) *x509.Certificate {
	tmpl := leafTemplate(addr)
	tmpl.ExtraExtensions = []pkix.Extension{{Id: oidSMIMECapabilities, Value: capsDER(t, oidAES256CBC, oidRSAESOAEP)}}
	return tmpl
}

func TestKeyTransportIsOAEPOnlyForRecipientsThatAnnounceIt(t *testing.T) {
	p := newPKI(t)
	key := testpki.RSAKey(2048, 2)
	plain := p.issue(t, leafTemplate("b@partner.test"), &key.PublicKey)
	announcing := p.issue(t, oaepTemplate(t, "c@partner.test"), &key.PublicKey)
	noOAEP := leafTemplate("d@partner.test")
	noOAEP.ExtraExtensions = []pkix.Extension{{Id: oidSMIMECapabilities, Value: capsDER(t, oidAES256CBC, oidRSAEncryption)}}
	listsOnlyV15 := p.issue(t, noOAEP, &key.PublicKey)
	for _, c := range []struct {
		name      string
		cert      *x509.Certificate
		harvested []byte
		def       string
		want, why string
	}{
		{"plain cert, default unset", plain, nil, "", KeyTransportPKCS1v15, WhyDefault},
		{"plain cert, default pkcs1v15", plain, nil, KeyTransportPKCS1v15, KeyTransportPKCS1v15, WhyDefault},
		{"plain cert, default oaep", plain, nil, KeyTransportOAEP, KeyTransportOAEP, WhyDefault},
		{"certificate announces oaep", announcing, nil, KeyTransportPKCS1v15, KeyTransportOAEP, WhyCertificate},
		{"certificate lists only v1.5", listsOnlyV15, nil, KeyTransportPKCS1v15, KeyTransportPKCS1v15, WhyDefault},
		{"harvested capabilities announce oaep", plain, capsDER(t, oidRSAESOAEP), "", KeyTransportOAEP, WhyHarvested},
		{"harvested garbage counts as none", plain, []byte{0x30, 0x05, 0x06}, "", KeyTransportPKCS1v15, WhyDefault},
		{"harvested oversized counts as none", plain, make([]byte, maxCapabilities+1), "", KeyTransportPKCS1v15, WhyDefault},
	} {
		got, why := KeyTransportFor(c.cert, c.harvested, c.def)
		if got != c.want || why != c.why {
			t.Errorf("%s: got %q (%s), want %q (%s)", c.name, got, why, c.want, c.why)
		}
	}
}

// keyTransports returns the key encryption algorithm of each
// KeyTransRecipientInfo, by recipient serial number.
func keyTransports(t testing.TB, msg []byte) map[string]asn1.ObjectIdentifier {
	t.Helper()
	ci, _ := parseBER(t, smimeBody(t, msg))
	env := ci.children[1].children[0]
	out := map[string]asn1.ObjectIdentifier{}
	for _, ktri := range env.children[1].children {
		serial := ktri.children[1].children[1].content
		out[new(big.Int).SetBytes(serial).String()] = ktri.children[2].children[0].oid(t)
	}
	return out
}

func TestEachRecipientGetsItsOwnKeyTransportAndBothDecryptWithOpenSSL(t *testing.T) {
	testtool.Require(t, "openssl")
	dir := tempDir(t)
	p := newPKI(t)
	oldClient := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	key := testpki.RSAKey(2048, 3)
	modern := recipient{cert: p.issue(t, oaepTemplate(t, "c@partner.test"), &key.PublicKey), key: key,
		certFile: path(dir, "c.crt"), keyFile: path(dir, "c.key")}
	testpki.WritePEM(t, modern.certFile, "CERTIFICATE", modern.cert.Raw)
	testpki.WriteKey(t, modern.keyFile, key)
	harvested := newRecipient(t, p, dir, "h@partner.test", testpki.RSAKey(3072, 0))

	msg := testMessage(t, randomBytes(t, 20_000))
	var out bytes.Buffer
	caps := func(c *x509.Certificate) []byte {
		if c == harvested.cert {
			return capsDER(t, oidRSAESOAEP)
		}
		return nil
	}
	if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{oldClient.cert, modern.cert, harvested.cert}, Options{Capabilities: caps}); err != nil {
		t.Fatal(err)
	}
	got := keyTransports(t, out.Bytes())
	for _, c := range []struct {
		r    recipient
		want asn1.ObjectIdentifier
	}{{oldClient, oidRSAEncryption}, {modern, oidRSAESOAEP}, {harvested, oidRSAESOAEP}} {
		if alg := got[c.r.cert.SerialNumber.String()]; !alg.Equal(c.want) {
			t.Errorf("%s: key transport %v, want %v", c.r.cert.EmailAddresses[0], alg, c.want)
		}
	}
	f := path(dir, "mixed.eml")
	if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, r := range []recipient{oldClient, modern, harvested} {
		dec, err := openssl(t, dir, "cms", "-decrypt", "-in", f, "-recip", r.certFile, "-inkey", r.keyFile)
		if err != nil {
			t.Fatalf("%s: %v", r.cert.EmailAddresses[0], err)
		}
		if !bytes.Equal(dec, innerOf(t, msg)) {
			t.Fatalf("%s: decrypted entity differs", r.cert.EmailAddresses[0])
		}
	}
}

// gpgsmHome is a temporary GNUPGHOME holding r's key, imported from a
// PKCS#12 file without a pinentry. The path is short: gpg-agent's socket
// must fit in sun_path.
func gpgsmHome(t *testing.T, p *pki, dir string, r recipient) string {
	t.Helper()
	home, err := os.MkdirTemp("", "gs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = append(os.Environ(), "GNUPGHOME="+home)
		_ = kill.Run()
		os.RemoveAll(home)
	})
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("allow-loopback-pinentry\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chain := path(dir, "chain.pem")
	if err := os.WriteFile(chain, testpki.PEM("CERTIFICATE", p.interCert.Raw, p.rootCert.Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	// gpgsm 2.2 reads neither OpenSSL 3's PBES2 PKCS#12 nor, with
	// --passphrase-fd, a protected one: 3DES PBE without a password, only
	// inside this temporary directory.
	p12 := path(dir, "r.p12")
	if _, err := openssl(t, dir, "pkcs12", "-export", "-in", r.certFile, "-inkey", r.keyFile, "-certfile", chain,
		"-passout", "pass:", "-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1", "-out", p12); err != nil {
		t.Fatal(err)
	}
	if out, err := runGpgsm(t, home, "--import", p12); err != nil {
		t.Fatalf("gpgsm --import: %v\n%s", err, out)
	}
	return home
}

func runGpgsm(t *testing.T, home string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(testtool.Require(t, "gpgsm"), append([]string{"--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase-fd", "0"}, args...)...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return stderr.Bytes(), err
		}
		return stdout.Bytes(), nil
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("gpgsm %s: no answer in 60s", args[0])
		return nil, nil
	}
}

// gpgsmVersion is "2.2.40" from `gpgsm --version`.
func gpgsmVersion(t *testing.T) string {
	out, err := exec.Command(testtool.Require(t, "gpgsm"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(strings.SplitN(string(out), "\n", 2)[0])
	return f[len(f)-1]
}

// TestKeyTransportsDecryptWithOpenSSLAndGpgsm is the client matrix's
// evidence (doc.go): both forms open in openssl; PKCS#1 v1.5 opens in gpgsm,
// and RSAES-OAEP does not in gpgsm 2.2 (Debian 12), which is why OAEP goes
// only to recipients that announce it.
func TestKeyTransportsDecryptWithOpenSSLAndGpgsm(t *testing.T) {
	testtool.RequireAll(t, "Debian packages openssl and gpgsm", "openssl", "gpgsm", "gpgconf")
	dir := tempDir(t)
	p := newPKI(t)
	r := newRecipient(t, p, dir, "b@partner.test", testpki.RSAKey(2048, 2))
	home := gpgsmHome(t, p, dir, r)
	version := gpgsmVersion(t)
	msg := testMessage(t, randomBytes(t, 100_000)) // two cipher segments
	want := innerOf(t, msg)
	for _, transport := range []string{KeyTransportPKCS1v15, KeyTransportOAEP} {
		t.Run(transport, func(t *testing.T) {
			var out bytes.Buffer
			if err := Encrypt(&out, bytes.NewReader(msg), []*x509.Certificate{r.cert}, Options{KeyTransport: transport}); err != nil {
				t.Fatal(err)
			}
			eml, der := path(dir, transport+".eml"), path(dir, transport+".p7m")
			if err := os.WriteFile(eml, out.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(der, smimeBody(t, out.Bytes()), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := openssl(t, dir, "cms", "-decrypt", "-in", eml, "-recip", r.certFile, "-inkey", r.keyFile)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("openssl cms -decrypt: err %v, %d bytes, want %d", err, len(got), len(want))
			}
			got, err = runGpgsm(t, home, "--decrypt", der)
			switch {
			case err == nil && bytes.Equal(got, want):
				if transport == KeyTransportOAEP && strings.HasPrefix(version, "2.2.") {
					t.Errorf("gpgsm %s decrypted RSAES-OAEP: update the client matrix in doc.go", version)
				}
				t.Logf("gpgsm %s decrypts %s", version, transport)
			case err == nil:
				t.Fatalf("gpgsm %s: %s decrypted to different bytes (%d, want %d)", version, transport, len(got), len(want))
			case transport == KeyTransportOAEP && strings.HasPrefix(version, "2.2."):
				// Measured: gpgsm 2.2 cannot unwrap RSAES-OAEP ("No secret key").
				t.Logf("gpgsm %s refuses %s, as the matrix says: %v", version, transport, err)
			default:
				t.Fatalf("gpgsm %s --decrypt %s: %v\n%s", version, transport, err, got)
			}
		})
	}
}
