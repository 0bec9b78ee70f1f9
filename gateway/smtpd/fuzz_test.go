package smtpd

import (
	"testing"

	"github.com/sealgate/sealgate/internal/msgscan"
)

// The scanners must agree with a plain reference whatever the chunking.
func FuzzScannersMatchReference(f *testing.F) {
	f.Add([]byte("Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n"), 3)
	f.Add([]byte("a\r\n.\rb\n.\r\n"), 1)
	f.Fuzz(func(t *testing.T, data []byte, chunk int) {
		if chunk <= 0 {
			chunk = 1
		}
		m := msgscan.New()
		tap := newConnTap(defaultMaxLineLength)
		for i := 0; i < len(data); i += chunk {
			end := min(i+chunk, len(data))
			m.Scan(data[i:end])
			tap.Write(data[i:end])
		}
		m.Finish()
		wantBare := false
		for i, c := range data {
			if c == '\n' && (i == 0 || data[i-1] != '\r') || c == '\r' && (i == len(data)-1 || data[i+1] != '\n') {
				wantBare = true
			}
		}
		if m.Bare != wantBare {
			t.Fatalf("bare = %v, want %v", m.Bare, wantBare)
		}
		// The tap starts "after a newline", as a connection does.
		s := append([]byte("\n"), data...)
		wantDotCR := false
		for i := 0; i+3 < len(s); i++ {
			if s[i] == '\n' && s[i+1] == '.' && s[i+2] == '\r' && s[i+3] != '\n' {
				wantDotCR = true
			}
		}
		if tap.sawDotCR() != wantDotCR {
			t.Fatalf("dotCR = %v, want %v for %q", tap.sawDotCR(), wantDotCR, data)
		}
	})
}
