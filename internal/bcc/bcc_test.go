package bcc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestStrip(t *testing.T) {
	long := strings.Repeat("x", 10000)
	cases := []struct{ name, in, want string }{
		{"none", "From: a\r\nTo: b\r\n\r\nBcc: body line stays\r\n", "From: a\r\nTo: b\r\n\r\nBcc: body line stays\r\n"},
		{"first field", "Bcc: x@y\r\nTo: b\r\n\r\nbody\r\n", "To: b\r\n\r\nbody\r\n"},
		{"folded", "To: b\r\nBCC: Erin\r\n <e@y>,\r\n\t<f@y>\r\nSubject: s\r\n\r\nbody\r\n", "To: b\r\nSubject: s\r\n\r\nbody\r\n"},
		{"resent and obsolete blank before colon", "Resent-Bcc: r@y\r\nbcc \t: x@y\r\nTo: b\r\n\r\n", "To: b\r\n\r\n"},
		{"empty bcc", "Bcc:\r\nTo: b\r\n\r\n", "To: b\r\n\r\n"},
		{"last field, no body", "To: b\r\nBcc: x@y\r\n", "To: b\r\n"},
		{"look-alikes stay", "Bccx: 1\r\nX-Bcc: 2\r\nResent-To: 3\r\n\r\n", "Bccx: 1\r\nX-Bcc: 2\r\nResent-To: 3\r\n\r\n"},
		{"long lines", "Bcc: " + long + "\r\n " + long + "\r\nX-Long: " + long + "\r\n\r\n" + long, "X-Long: " + long + "\r\n\r\n" + long},
		{"bare LF", "To: b\nBcc: x\n y\n\nBcc: body\n", "To: b\n\nBcc: body\n"},
		{"body after long header field line", "X: " + long + "\r\nBcc: z\r\n\r\nBcc: z\r\n", "X: " + long + "\r\n\r\nBcc: z\r\n"},
	}
	for _, c := range cases {
		for _, mode := range []string{"whole", "one byte"} {
			var r io.Reader = strings.NewReader(c.in)
			if mode == "one byte" {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(Strip(r))
			if err != nil {
				t.Fatalf("%s (%s): %v", c.name, mode, err)
			}
			if string(got) != c.want {
				t.Errorf("%s (%s):\n got %.200q\nwant %.200q", c.name, mode, got, c.want)
			}
		}
	}
}

func TestStripPassesReadErrors(t *testing.T) {
	_, err := io.ReadAll(Strip(io.MultiReader(strings.NewReader("To: b\r\n"), iotest.ErrReader(io.ErrUnexpectedEOF))))
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v", err)
	}
}

// FuzzStrip: the output is the input minus whole header lines, the body is
// never touched, and no Bcc field is left.
func FuzzStrip(f *testing.F) {
	f.Add([]byte("Bcc: x\r\n y\r\nTo: b\r\n\r\nbody"))
	f.Add([]byte("Resent-Bcc : r\n\nBcc: body"))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(Strip(bytes.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > len(in) {
			t.Fatal("output longer than input")
		}
		hdrEnd := func(b []byte) int {
			i := 0
			for i < len(b) {
				j := bytes.IndexByte(b[i:], '\n')
				if j < 0 {
					return len(b)
				}
				line := b[i : i+j+1]
				if len(line) <= 2 && (string(line) == "\n" || string(line) == "\r\n") {
					return i
				}
				i += j + 1
			}
			return len(b)
		}
		if !bytes.HasSuffix(out, in[hdrEnd(in):]) {
			t.Fatal("body changed")
		}
		for _, line := range bytes.SplitAfter(out[:hdrEnd(out)], []byte("\n")) {
			if i := bytes.IndexByte(line, ':'); i > 0 && line[0] != ' ' && line[0] != '\t' && IsField(string(line[:i])) {
				t.Fatalf("Bcc field left: %q", line)
			}
		}
	})
}
