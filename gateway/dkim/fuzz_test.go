package dkim

import (
	"bytes"
	"testing"

	msgauth "github.com/emersion/go-msgauth/dkim"
)

// FuzzSignVerifies: any input either passes through unchanged (unsigned) or
// comes out with a signature go-msgauth verifies. Never a panic.
func FuzzSignVerifies(f *testing.F) {
	f.Add(crlf(simpleMsg))
	f.Add(crlf(multipartMsg))
	f.Add([]byte("From: a@example.com\r\n\r\n"))
	f.Add([]byte("From: =?utf-8?b?w6k=?= <a@example.com>\r\nFrom: b@example.com\r\n\r\nx"))
	k := testKey(nil, "ed25519", "example.com", "fz")
	name, value := TXTRecord(k.Domain, k.Selector, k.Signer.Public())
	lookup := func(n string) ([]string, error) {
		if n == name {
			return []string{value}, nil
		}
		return nil, nil
	}
	s := NewSigner([]*Key{k}, nil)
	f.Fuzz(func(t *testing.T, msg []byte) {
		var out bytes.Buffer
		signed, err := s.Sign(&out, bytes.NewReader(msg))
		if err != nil {
			return
		}
		if !signed {
			if !bytes.Equal(out.Bytes(), msg) {
				t.Fatal("unsigned message changed")
			}
			return
		}
		if !bytes.HasSuffix(out.Bytes(), msg) {
			t.Fatal("signed message body changed")
		}
		vs, err := msgauth.VerifyWithOptions(bytes.NewReader(out.Bytes()), &msgauth.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) == 0 || vs[0].Err != nil {
			t.Fatalf("signed message does not verify: %v %+v\n%q", err, vs, out.Bytes())
		}
	})
}
