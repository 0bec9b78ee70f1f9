package smime

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/internal/testpki"
)

// sizedMessage is a message whose body is about n bytes of base64 lines.
func sizedMessage(n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 1024)
	b.WriteString("From: a@clinic.test\r\nTo: b@partner.test\r\nSubject: results\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n" +
		"Message-ID: <m@clinic.test>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 3)[:76] + "\r\n"
	for b.Len() < n {
		b.WriteString(line)
	}
	return b.Bytes()
}

func benchRecipients(b testing.TB, n int) []*x509.Certificate {
	p := newPKI(b)
	key := testpki.RSAKey(2048, 2)
	var certs []*x509.Certificate
	for i := range n {
		certs = append(certs, p.issue(b, leafTemplate(fmt.Sprintf("r%d@partner.test", i)), &key.PublicKey))
	}
	return certs
}

func BenchmarkEncrypt(b *testing.B) {
	for _, size := range []int{10 << 10, 1 << 20, 25 << 20} {
		msg := sizedMessage(size)
		for _, nr := range []int{1, 10} {
			certs := benchRecipients(b, nr)
			b.Run(fmt.Sprintf("size=%dKB/recipients=%d", size>>10, nr), func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				b.ReportAllocs()
				for b.Loop() {
					if err := Encrypt(io.Discard, bytes.NewReader(msg), certs, Options{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkSignThenEncrypt(b *testing.B) {
	p := newPKI(b)
	sk := testpki.RSAKey(2048, 3)
	s, err := NewSigner(p.issue(b, leafTemplate("a@clinic.test"), &sk.PublicKey), []*x509.Certificate{p.interCert}, sk)
	if err != nil {
		b.Fatal(err)
	}
	certs := benchRecipients(b, 1)
	for _, size := range []int{10 << 10, 1 << 20, 25 << 20} {
		msg := sizedMessage(size)
		b.Run(fmt.Sprintf("size=%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Encrypt(io.Discard, bytes.NewReader(msg), certs, Options{Signer: s}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// allocatedDuring returns the bytes allocated while f ran: an upper bound on
// the extra peak heap f needed.
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestEncrypting25MBStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("25 MB")
	}
	msg := sizedMessage(25 << 20)
	certs := benchRecipients(t, 10)
	var err error
	alloc := allocatedDuring(func() {
		err = Encrypt(io.Discard, bytes.NewReader(msg), certs, Options{})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("encrypt 25 MB to 10 recipients: %.1f MB allocated in total (%.2fx the message)", float64(alloc)/(1<<20), float64(alloc)/float64(len(msg)))
	// Streaming: segment buffers only, whatever the size.
	if alloc > 4<<20 {
		t.Fatalf("encryption allocated %d bytes for a %d-byte message: not streaming", alloc, len(msg))
	}
}

func TestSignThenEncrypt25MBStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("25 MB")
	}
	p := newPKI(t)
	sk := testpki.RSAKey(2048, 3)
	s, err := NewSigner(p.issue(t, leafTemplate("a@clinic.test"), &sk.PublicKey), []*x509.Certificate{p.interCert}, sk)
	if err != nil {
		t.Fatal(err)
	}
	msg := sizedMessage(25 << 20)
	certs := benchRecipients(t, 1)
	alloc := allocatedDuring(func() {
		err = Encrypt(io.Discard, bytes.NewReader(msg), certs, Options{Signer: s})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sign+encrypt 25 MB: %.1f MB allocated in total (%.2fx the message)", float64(alloc)/(1<<20), float64(alloc)/float64(len(msg)))
	// Signing hashes as it writes: bounded like encryption, far below the
	// brief's 4x.
	if alloc > 4<<20 {
		t.Fatalf("sign-then-encrypt allocated %.2fx the message: not streaming", float64(alloc)/float64(len(msg)))
	}
}
