package encrypted

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// lines is an endless reader of one repeated line.
type lines struct {
	line []byte
	off  int
}

func (l *lines) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.line[l.off:])
		n += c
		l.off = (l.off + c) % len(l.line)
	}
	return n, nil
}

// TestLargeMessagesAreStreamed verifies 64 MiB messages of both kinds and
// fails if that allocates more than 4 MiB.
func TestLargeMessagesAreStreamed(t *testing.T) {
	const size = 64 << 20
	b64 := &lines{line: []byte(strings.Repeat("QUJD", 19) + "\r\n")}
	pgp := func() io.Reader {
		return io.MultiReader(strings.NewReader("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n"+
			"--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"+
			"--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nwV4D"),
			io.LimitReader(b64, size), strings.NewReader("=AAAA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n"))
	}
	smime := func() io.Reader {
		return io.MultiReader(strings.NewReader("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQIx\r\n"), io.LimitReader(b64, size))
	}
	for name, c := range map[string]struct {
		r    func() io.Reader
		want string
	}{"pgp": {pgp, PGP}, "smime": {smime, SMIME}} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		got, err := Verify(c.r())
		runtime.ReadMemStats(&after)
		if got != c.want {
			t.Errorf("%s: Verify = %q, %v", name, got, err)
		}
		t.Logf("%s: 64 MiB verified, %d bytes allocated", name, after.TotalAlloc-before.TotalAlloc)
		if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
			t.Errorf("%s: verifying a 64 MiB message allocated %d bytes", name, d)
		}
	}
}
