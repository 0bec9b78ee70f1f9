package protect

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzSplit: whatever the upstream sends, Split answers or refuses, the
// inner entity reads to its end or to an error, and Close returns; Bcc never
// comes out.
func FuzzSplit(f *testing.F) {
	f.Add([]byte(outlookMsg), "")
	f.Add([]byte(original), ModeRFC9788)
	f.Add([]byte("Subject: x\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a--\r\n"), "")
	f.Add([]byte("Subject: x\r\nContent-Type: text/html\r\n\r\n<body"), "")
	f.Fuzz(func(t *testing.T, msg []byte, mode string) {
		_, in, err := Split(bytes.NewReader(msg), Options{Mode: mode})
		if err != nil {
			return
		}
		defer in.Close()
		out, _ := io.ReadAll(io.LimitReader(in, 4<<20))
		if bytes.Contains(msg, []byte("Bcc: fuzz-secret")) && strings.Contains(string(out), "Bcc: fuzz-secret") {
			t.Fatal("Bcc survived")
		}
	})
}
