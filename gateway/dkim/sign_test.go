package dkim

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

var simpleMsg = `From: Alice <alice@example.com>
To: bob@example.org
Subject: Lab results
Date: Mon, 02 Mar 2026 10:00:00 +0000
Message-ID: <1@example.com>

Hello Bob.
`

// multipartMsg has folded headers, odd header spacing and case, trailing
// whitespace, tabs, a long line and trailing empty lines: everything relaxed
// canonicalisation must treat identically on both ends.
var multipartMsg = "From: \"Dr. Alice\"\n <alice@Example.COM>\n" +
	"To: bob@example.org,\n\tcarol@example.net,   \n  dave@example.net\n" +
	"subject:   A  folded\n   subject line   \n" +
	"Date: Mon, 02 Mar 2026 10:00:00 +0000\n" +
	"Message-ID: <2@example.com>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: multipart/mixed;\n boundary=\"b1\"\n" +
	"X-Unsigned: ignored\n" +
	"\n" +
	"preamble  \n" +
	"--b1\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"\n" +
	"line with trailing spaces   \n" +
	"line\twith\t\ttabs \t\n" +
	strings.Repeat("long-line-", 90) + "\n" +
	"\n" +
	"--b1\n" +
	"Content-Type: application/octet-stream\n" +
	"Content-Transfer-Encoding: base64\n" +
	"\n" +
	strings.Repeat(strings.Repeat("QUJD", 19)+"\n", 40) +
	"--b1--\n" +
	"\n\n\n"

func TestSignaturesVerifyWithGoMsgauth(t *testing.T) {
	d := newTestDNS(t)
	for _, alg := range []string{"rsa", "ed25519"} {
		for name, msg := range map[string]string{"simple": simpleMsg, "multipart": multipartMsg} {
			t.Run(alg+"/"+name, func(t *testing.T) {
				k := testKey(t, alg, "example.com", "s"+alg)
				d.publish(k)
				out, signed := signBytes(t, NewSigner([]*Key{k}, nil), crlf(msg))
				if !signed {
					t.Fatal("not signed")
				}
				vs := d.verifyGo(t, out)
				if len(vs) != 1 || vs[0].Err != nil {
					t.Fatalf("verifications: %+v", vs)
				}
				if vs[0].Domain != "example.com" {
					t.Errorf("d= %q", vs[0].Domain)
				}
				sig := string(out[:bytes.Index(out, []byte("\r\n\r\n"))])
				sig = strings.Join(strings.Fields(sig), " ")
				for _, want := range []string{"c=relaxed/relaxed;", "a=" + alg + "-sha256;", " t=", "h=From:From:To:Cc:Subject:"} {
					if !strings.Contains(sig, want) {
						t.Errorf("signature lacks %q: %s", want, sig)
					}
				}
				if strings.Contains(sig, " l=") {
					t.Errorf("signature has a body length tag: %s", sig)
				}
			})
		}
	}
}

func TestRelaxedCanonicalisationSurvivesRewrapping(t *testing.T) {
	// An intermediate MTA refolds headers and strips trailing whitespace.
	d := newTestDNS(t)
	k := testKey(t, "rsa", "example.com", "s1")
	d.publish(k)
	out, _ := signBytes(t, NewSigner([]*Key{k}, nil), crlf(multipartMsg))
	mangled := bytes.Replace(out, []byte("To: bob@example.org,\r\n\tcarol@example.net,"), []byte("TO:   bob@example.org, carol@example.net,"), 1)
	mangled = bytes.Replace(mangled, []byte("line with trailing spaces   \r\n"), []byte("line with trailing spaces\r\n"), 1)
	if bytes.Equal(mangled, out) {
		t.Fatal("test did not change the message")
	}
	if vs := d.verifyGo(t, mangled); vs[0].Err != nil {
		t.Fatalf("relaxed changes broke the signature: %v", vs[0].Err)
	}
}

func TestModifiedBodyFailsVerification(t *testing.T) {
	d := newTestDNS(t)
	for _, alg := range []string{"rsa", "ed25519"} {
		k := testKey(t, alg, "example.com", "s"+alg)
		d.publish(k)
		out, _ := signBytes(t, NewSigner([]*Key{k}, nil), crlf(multipartMsg))
		tampered := bytes.Replace(out, []byte("tabs"), []byte("tubs"), 1)
		if vs := d.verifyGo(t, tampered); vs[0].Err == nil {
			t.Errorf("%s: modified body verified", alg)
		}
		appended := append(bytes.Clone(out), "Click here: http://evil.example/\r\n"...)
		if vs := d.verifyGo(t, appended); vs[0].Err == nil {
			t.Errorf("%s: appended body verified (l= must never be used)", alg)
		}
	}
}

func TestAddedFromHeaderFailsVerification(t *testing.T) {
	d := newTestDNS(t)
	for _, alg := range []string{"rsa", "ed25519"} {
		k := testKey(t, alg, "example.com", "s"+alg)
		d.publish(k)
		out, _ := signBytes(t, NewSigner([]*Key{k}, nil), crlf(simpleMsg))
		if vs := d.verifyGo(t, out); vs[0].Err != nil {
			t.Fatalf("%s: untouched message fails: %v", alg, vs[0].Err)
		}
		// A second From above or below the signed one: oversigning catches both.
		top := append([]byte("From: ceo@example.com\r\n"), out...)
		if vs := d.verifyGo(t, top); vs[0].Err == nil {
			t.Errorf("%s: From added at the top verified", alg)
		}
		i := bytes.Index(out, []byte("\r\n\r\n"))
		bottom := append(append(bytes.Clone(out[:i+2]), "From: ceo@example.com\r\n"...), out[i+2:]...)
		if vs := d.verifyGo(t, bottom); vs[0].Err == nil {
			t.Errorf("%s: From added at the bottom verified", alg)
		}
		// Cc is signed as absent: adding one breaks the signature too.
		cc := append([]byte("Cc: eve@evil.example\r\n"), out...)
		if vs := d.verifyGo(t, cc); vs[0].Err == nil {
			t.Errorf("%s: added Cc verified", alg)
		}
	}
}

func TestTwoKeysForOneDomainGiveTwoSignatures(t *testing.T) {
	d := newTestDNS(t)
	kr := testKey(t, "rsa", "example.com", "rsa1")
	ke := testKey(t, "ed25519", "example.com", "ed1")
	d.publish(kr)
	d.publish(ke)
	out, signed := signBytes(t, NewSigner([]*Key{kr, ke}, nil), crlf(multipartMsg))
	if !signed {
		t.Fatal("not signed")
	}
	vs := d.verifyGo(t, out)
	if len(vs) != 2 {
		t.Fatalf("%d signatures, want 2", len(vs))
	}
	for _, v := range vs {
		if v.Err != nil {
			t.Errorf("signature fails: %v", v.Err)
		}
	}
}

func TestKeyForPicksByFromDomain(t *testing.T) {
	a := testKey(t, "rsa", "Example.COM.", "a")
	b := testKey(t, "ed25519", "example.org", "b")
	s := NewSigner([]*Key{a, nil, b}, nil)
	for from, want := range map[string]*Key{
		"alice@example.com":                      a,
		"Alice <alice@EXAMPLE.com>":              a,
		"=?utf-8?q?Al=C3=AFce?= <a@example.com>": a,
		"=?x-unknown?q?Al?= <a@example.com>":     a,
		"example.org":                            b,
		"bob@example.org":                        b,
		"bob@sub.example.org":                    nil, // exact domain only
		"bob@example.net":                        nil,
		"a@example.com, b@example.org":           nil, // two domains: no single signer
		"a@example.com, c@example.com":           a,
		"":                                       nil,
		"undisclosed":                            nil,
	} {
		if got := s.KeyFor(from); got != want {
			t.Errorf("KeyFor(%q) = %v, want %v", from, got, want)
		}
	}
}

func TestNoKeyLeavesMessageUnchanged(t *testing.T) {
	s := NewSigner([]*Key{testKey(t, "rsa", "example.net", "s")}, nil)
	for name, msg := range map[string][]byte{
		"other domain":  crlf(simpleMsg),
		"no From":       crlf("To: bob@example.org\n\nhi\n"),
		"two From":      crlf("From: a@example.net\nFrom: b@example.net\n\nhi\n"),
		"no body":       crlf("From: a@example.net\nSubject: x\n"),
		"empty message": nil,
	} {
		out, signed := signBytes(t, s, msg)
		if signed || !bytes.Equal(out, msg) {
			t.Errorf("%s: signed=%v, changed=%v", name, signed, !bytes.Equal(out, msg))
		}
		var w bytes.Buffer
		opens := 0
		signed, err := s.SignTo(&w, func() (io.ReadCloser, error) {
			opens++
			return io.NopCloser(bytes.NewReader(msg)), nil
		})
		if err != nil || signed || !bytes.Equal(w.Bytes(), msg) {
			t.Errorf("%s: SignTo signed=%v err=%v changed=%v", name, signed, err, !bytes.Equal(w.Bytes(), msg))
		}
	}
}

func TestSignToReadsTwiceAndMatchesSign(t *testing.T) {
	d := newTestDNS(t)
	k := testKey(t, "ed25519", "example.com", "s")
	d.publish(k)
	s := NewSigner([]*Key{k}, nil)
	path := t.TempDir() + "/msg.eml"
	if err := os.WriteFile(path, crlf(multipartMsg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	opens := 0
	signed, err := s.SignTo(&out, func() (io.ReadCloser, error) {
		opens++
		return os.Open(path)
	})
	if err != nil || !signed || opens != 2 {
		t.Fatalf("signed=%v err=%v opens=%d", signed, err, opens)
	}
	if vs := d.verifyGo(t, out.Bytes()); vs[0].Err != nil {
		t.Fatal(vs[0].Err)
	}
	// A non-seekable reader takes the buffered path.
	var out2 bytes.Buffer
	if signed, err := s.Sign(&out2, io.MultiReader(bytes.NewReader(crlf(multipartMsg)))); err != nil || !signed {
		t.Fatalf("signed=%v err=%v", signed, err)
	}
	if vs := d.verifyGo(t, out2.Bytes()); vs[0].Err != nil {
		t.Fatal(vs[0].Err)
	}
	// Body after the signature is byte-identical to the input.
	if !bytes.HasSuffix(out.Bytes(), crlf(multipartMsg)) || !bytes.HasSuffix(out2.Bytes(), crlf(multipartMsg)) {
		t.Error("message bytes changed by signing")
	}
}

func TestHeaderListWithoutFromStillSignsFrom(t *testing.T) {
	d := newTestDNS(t)
	k := testKey(t, "rsa", "example.com", "s")
	d.publish(k)
	out, _ := signBytes(t, NewSigner([]*Key{k}, []string{"Subject", " To "}), crlf(simpleMsg))
	vs := d.verifyGo(t, out)
	if vs[0].Err != nil {
		t.Fatal(vs[0].Err)
	}
	if got := strings.Join(vs[0].HeaderKeys, ":"); got != "From:Subject:To" {
		t.Errorf("h= %s", got)
	}
}

func TestDefaultHeadersCannotBeChangedByACaller(t *testing.T) {
	h := DefaultHeaders()
	h[0] = "X-Changed"
	if DefaultHeaders()[0] != "From" {
		t.Error("a caller's change to DefaultHeaders() reached the next caller")
	}
}
