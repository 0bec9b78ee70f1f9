package process

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// oidOAEPDER is id-RSAES-OAEP as it appears in a KeyTransRecipientInfo.
var oidOAEPDER = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07}

func TestSMIMECopyUsesTheConfiguredKeyTransportAndRecordsIt(t *testing.T) {
	const smimeOnly = "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [smime]\n"
	for _, c := range []struct {
		configured, want string
		oaep             bool
	}{{"", "pkcs1v15", false}, {"pkcs1v15", "pkcs1v15", false}, {"oaep", "oaep", true}} {
		f := newFixture(t, smimeOnly)
		keys := certKeys{"b@partner.test": {smimeEntry(t, "b@partner.test")}}
		f.stage = New(Options{Store: f.store, Queue: f.queue, Recorder: f.rec, TLS: noVerifiedTLS{}, Engine: f.stage.o.Engine,
			Identities: Identities{SMIMEKeyTransport: c.configured},
			Settings:   func() Settings { return Settings{Hostname: "gw.clinic.test", Subject: "Encrypted message", Keys: keys} }})
		f.add("m1", "b@partner.test")
		if err := f.stage.Process("m1"); err != nil {
			t.Fatal(err)
		}
		body := f.store.copies["m1/smime"]
		i := strings.Index(body, "\r\n\r\n")
		if i < 0 {
			t.Fatalf("configured %q: no S/MIME copy", c.configured)
		}
		der, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(body[i+4:]))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(der, oidOAEPDER); got != c.oaep {
			t.Errorf("configured %q: OAEP in the copy = %v, want %v", c.configured, got, c.oaep)
		}
		m := f.rec.methods
		if len(m) != 1 || !strings.Contains(m[0].Reason, "[key transport "+c.want+": configured default]") {
			t.Errorf("configured %q: recorded %+v", c.configured, m)
		}
	}
}

func TestSMIMECopyUsesTheConfiguredContentCipher(t *testing.T) {
	const smimeOnly = "rules:\n  - id: phi\n    default: true\n    action: encrypt\n    methods: [smime]\n"
	for cipher, smimeType := range map[string]string{"": "enveloped-data", "aes256-cbc": "enveloped-data", "aes256-gcm": "authEnveloped-data"} {
		f := newFixture(t, smimeOnly)
		keys := certKeys{"b@partner.test": {smimeEntry(t, "b@partner.test")}}
		f.stage = New(Options{Store: f.store, Queue: f.queue, Recorder: f.rec, TLS: noVerifiedTLS{}, Engine: f.stage.o.Engine,
			Identities: Identities{SMIMEContentCipher: cipher},
			Settings:   func() Settings { return Settings{Hostname: "gw.clinic.test", Subject: "Encrypted message", Keys: keys} }})
		f.add("m1", "b@partner.test")
		if err := f.stage.Process("m1"); err != nil {
			t.Fatal(err)
		}
		if body := f.store.copies["m1/smime"]; !strings.Contains(body, "smime-type="+smimeType+";") {
			t.Errorf("content cipher %q: copy is not %s:\n%.300s", cipher, smimeType, body)
		}
	}
}
