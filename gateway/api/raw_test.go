package api

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCRLFReaderMakesEveryLineEndCRLF(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb\n":         "a\r\nb\r\n",
		"a\r\nb\r\n":     "a\r\nb\r\n",
		"a\rb":           "a\r\nb",
		"a\r":            "a\r\n",
		"\r\r\n\n":       "\r\n\r\n\r\n",
		"no newline":     "no newline",
		"":               "",
		"x\r\n\r\ny\n\r": "x\r\n\r\ny\r\n\r\n",
	} {
		// One byte at a time, so a CR and its LF fall in different reads.
		got, err := io.ReadAll(&crlfReader{r: iotest.OneByteReader(strings.NewReader(in))})
		if err != nil || string(got) != want {
			t.Errorf("%q → %q, %v; want %q", in, got, err, want)
		}
		got, _ = io.ReadAll(&crlfReader{r: strings.NewReader(in)})
		if string(got) != want {
			t.Errorf("%q (one read) → %q; want %q", in, got, want)
		}
	}
}
