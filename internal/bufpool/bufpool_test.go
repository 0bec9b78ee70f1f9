package bufpool

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriterIsResetBetweenUses(t *testing.T) {
	var a, b bytes.Buffer
	w := Writer(&a)
	w.WriteString("first")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.WriteString("unflushed")
	PutWriter(w)
	w = Writer(&b)
	w.WriteString("second")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	PutWriter(w)
	if a.String() != "first" || b.String() != "second" {
		t.Fatalf("a=%q b=%q: a pooled writer kept data or its destination", a.String(), b.String())
	}
}

func TestCopyCopiesEverything(t *testing.T) {
	src := strings.Repeat("0123456789", 10000) // larger than one buffer
	var dst bytes.Buffer
	n, err := Copy(&dst, onlyReader{strings.NewReader(src)})
	if err != nil || n != int64(len(src)) || dst.String() != src {
		t.Fatalf("n=%d err=%v equal=%v", n, err, dst.String() == src)
	}
}

// onlyReader hides WriteTo, so Copy has to use its buffer.
type onlyReader struct{ r *strings.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
