package gateway

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/sealgate/sealgate/internal/testtool"
)

// lookupTXTAt asks the DNS server at addr for name's TXT records.
func lookupTXTAt(addr, name string) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	r, err := dns.Exchange(m, addr)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range r.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

func TestDemoRelaysIntoItsCaptureMailbox(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	listen, web, sinkA, admin := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	cmd := exec.Command(sealgateBinary(t), "demo", "--dir", dir, "--listen", listen, "--web", web, "--sink", sinkA, "--admin", admin)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("demo output:\n%s", tail(string(out.Bytes()), 3000))
		}
	})
	waitFor(t, 30*time.Second, "the demo to listen", func() bool {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if err := send(listen, "alice@clinic.example", []string{"bob@partner.example"}, testMessage("alice@clinic.example", "bob@partner.example", "demo-marker")); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		resp, err := http.Get("http://" + web + path)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor(t, 20*time.Second, "the message on the capture page", func() bool { return strings.Contains(get("/"), "bob@partner.example") })
	raw := get("/message/1/raw")
	// The demo signs with DKIM, so the signature is the top header.
	if !strings.HasPrefix(raw, "DKIM-Signature: ") || !strings.Contains(raw, "\nReceived: from ") || !strings.Contains(raw, "Patient note demo-marker") {
		t.Fatalf("raw source:\n%s", raw)
	}
	if page := get("/"); !strings.Contains(page, "TLS 1.3") {
		t.Errorf("capture page does not show the verified TLS hop:\n%s", page)
	}
	// PHI to the demo's S/MIME recipient leaves encrypted.
	phi := strings.Replace(testMessage("alice@clinic.example", "bob@partner.example", "demo-phi"), "Patient note demo-phi", "Patient SSN: 078-05-1121, MRN: 4455667", 1)
	if err := send(listen, "alice@clinic.example", []string{"bob@partner.example"}, phi); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the encrypted message on the capture page", func() bool { return strings.Contains(get("/message/2/raw"), "application/pkcs7-mime") })
	if strings.Contains(get("/message/2/raw"), "078-05-1121") {
		t.Error("the demo sent PHI in the clear")
	}
	if !strings.Contains(string(out.Bytes()), "swaks --server "+listen) {
		t.Errorf("demo does not tell the newcomer how to send:\n%s", string(out.Bytes()))
	}
	// DKIM: the copy is signed for the sender domain, and the signature
	// verifies against the key the demo's DNS publishes.
	raw2 := get("/message/2/raw")
	dnsAddr := regexp.MustCompile(`demo's DNS at (127\.0\.0\.1:\d+)`).FindStringSubmatch(string(out.Bytes()))
	if dnsAddr == nil {
		t.Fatalf("demo does not say where its DNS is:\n%s", out.Bytes())
	}
	verifs, err := msgdkim.VerifyWithOptions(strings.NewReader(raw2), &msgdkim.VerifyOptions{LookupTXT: func(name string) ([]string, error) {
		return lookupTXTAt(dnsAddr[1], name)
	}})
	if err != nil || len(verifs) != 1 || verifs[0].Err != nil || verifs[0].Domain != "clinic.example" {
		t.Fatalf("DKIM on the demo's copy: %v %+v", err, verifs)
	}
	// The S/MIME copy opens with bob's key and carries the organisation's
	// signature, which verifies against the demo's org.crt.
	openssl := testtool.Require(t, "openssl")
	enc := filepath.Join(dir, "m2.eml")
	os.WriteFile(enc, []byte(raw2), 0o600)
	dec, err := exec.Command(openssl, "cms", "-decrypt", "-in", enc, "-recip", filepath.Join(dir, "bob.crt"), "-inkey", filepath.Join(dir, "bob.key")).Output()
	if err != nil {
		t.Fatalf("openssl cms -decrypt: %v", err)
	}
	decFile := filepath.Join(dir, "m2.dec")
	os.WriteFile(decFile, dec, 0o600)
	if o, err := exec.Command(openssl, "cms", "-verify", "-in", decFile, "-CAfile", filepath.Join(dir, "org.crt"), "-out", os.DevNull).CombinedOutput(); err != nil {
		t.Fatalf("organisation signature does not verify: %v\n%s\n%s", err, o, dec)
	}
	// The hints name the binary that was run, not "go run".
	if s := string(out.Bytes()); !strings.Contains(s, sealgateBinary(t)+" audit tail -c ") || !strings.Contains(s, "bob.p12") {
		t.Errorf("demo hints do not name the binary it runs as, or bob.p12:\n%s", s)
	}
}
