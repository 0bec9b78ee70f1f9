package api

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkPostMessageJSON is the API's own cost for one 10 KB JSON
// message (decode, validate, compose, fake spool), 20 clients at once.
func BenchmarkPostMessageJSON(b *testing.B) {
	e := newEnv(b, nil)
	body, _ := json.Marshal(map[string]any{
		"from": "noreply@clinic.example", "to": []string{"pat@example.org"}, "subject": "Reminder",
		"text":        strings.Repeat("Your appointment is on Monday at 10:00. ", 120),
		"attachments": []map[string]string{{"filename": "a.pdf", "content_type": "application/pdf", "content": base64.StdEncoding.EncodeToString(make([]byte, 4000))}},
	})
	b.SetBytes(int64(len(body)))
	b.SetParallelism(20)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := e.sendJSON(e.send, string(body), nil); rec.Code != 202 {
				b.Errorf("status %d", rec.Code)
			}
		}
	})
}
