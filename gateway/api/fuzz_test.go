package api

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"

	"github.com/sealgate/sealgate/gateway/api/compose"
)

// FuzzDecodeCompose drives the JSON path from bytes to MIME: whatever
// passes validation must build into a message that parses back, has only
// CRLF line endings and never a Bcc field.
func FuzzDecodeCompose(f *testing.F) {
	f.Add([]byte(goodJSON))
	f.Add([]byte(`{"from":"\"Zoé, Dr\" <z@x.example>","to":["a@b.example"],"bcc":["hidden@c.example"],"subject":"=?utf-8?q?x?=","html":"<p>x</p>",` +
		`"attachments":[{"filename":"a\"b.png","content_type":"image/png","content_id":"i@x","content":"iVBORw0KGgo="}],"headers":{"X-A":"b"}}`))
	f.Add([]byte(`{"from":"a@b.example","to":["c@d.example"],"text":"line\r\n.\r\nFrom: spoof\n\rbare","reply_to":["r@x.example"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req MessageRequest
		if decodeJSON(data, &req) != nil {
			return
		}
		v, fe := req.validate(50)
		if len(fe) > 0 {
			for _, e := range fe {
				if e.Field == "" || e.Detail == "" {
					t.Fatalf("empty field error %+v", e)
				}
			}
			return
		}
		var buf bytes.Buffer
		if _, err := compose.Write(&buf, v.msg, compose.Options{Hostname: "gw.test", Date: time.Unix(0, 0)}); err != nil {
			t.Fatalf("valid request does not compose: %v", err)
		}
		raw := buf.Bytes()
		if bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) || bytes.Count(raw, []byte("\r")) != bytes.Count(raw, []byte("\r\n")) {
			t.Fatalf("bare CR or LF in the built message:\n%q", raw)
		}
		e, err := message.Read(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("built message does not parse: %v\n%q", err, raw)
		}
		fields := e.Header.Fields()
		for fields.Next() {
			if strings.EqualFold(fields.Key(), "Bcc") {
				t.Fatal("Bcc field written")
			}
		}
		walk(t, e, 0)
	})
}

func walk(t *testing.T, e *message.Entity, depth int) {
	if depth > 5 {
		t.Fatal("MIME tree deeper than compose builds")
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("part: %v", err)
			}
			walk(t, p, depth+1)
		}
	}
	if _, err := io.Copy(io.Discard, e.Body); err != nil {
		t.Fatalf("body: %v", err)
	}
}
