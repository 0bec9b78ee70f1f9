package capture

import (
	"html/template"
	"net/http"
	"strconv"
)

var page = template.Must(template.New("list").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sealgate demo mailbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}pre{background:#f6f6f6;padding:1em;overflow:auto;white-space:pre-wrap}
.m{font-weight:600}</style>
</head><body>
<h1>Messages that left sealgate</h1>
<p>Everything the gateway delivered, newest first. This page is the demo's stand-in for the recipients' mail servers.</p>
{{if .Held}}<h2>Held by the gateway</h2><table><tr><th>Message</th><th>Recipient</th><th>Why</th></tr>
{{range .Held}}<tr><td><code>{{.MsgID}}</code></td><td>{{.Recipient}}</td><td>{{.Reason}}</td></tr>{{end}}</table>{{end}}
{{if not .Msgs}}<p id="empty">No messages yet. Send one with swaks (see the terminal).</p>{{end}}
<table>{{if .Msgs}}<tr><th>#</th><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Method</th><th>TLS</th><th>Size</th></tr>{{end}}
{{range .Msgs}}<tr><td><a href="/message/{{.Seq}}">{{.Seq}}</a> (<a href="/message/{{.Seq}}/raw">raw</a>)</td><td>{{.Received.Format "15:04:05"}}</td><td>{{.From}}</td>
<td>{{range .Recipients}}{{.}}<br>{{end}}</td><td>{{.Subject}}</td><td class="m">{{.Method}}{{range .Links}}<br><a href="{{.}}">open in the portal</a>{{end}}</td>
<td>{{if .TLS}}{{.TLS}}{{if .ServerName}}<br>for {{.ServerName}}: {{if .NameMatches}}certificate valid for that name{{else}}certificate not valid for that name (unverifiable){{end}}{{end}}{{else}}none{{end}}</td><td>{{len .Data}}</td></tr>
{{end}}</table></body></html>`))

var one = template.Must(template.New("one").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>message {{.Seq}}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}</style></head>
<body><p><a href="/">&larr; all messages</a></p><h1>Message {{.Seq}}</h1>
<p>Envelope from <code>{{.From}}</code> to {{range .Recipients}}<code>{{.}}</code> {{end}}, TLS: {{if .TLS}}{{.TLS}}{{else}}none{{end}}</p>
<h2>Raw source, as it left the gateway</h2><pre id="raw">{{printf "%s" .Data}}</pre></body></html>`))

// Handler serves the message list at / and each message at /message/N
// (raw source at /message/N/raw).
func (s *Sink) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		msgs := s.Messages()
		var view struct {
			Msgs []Description
			Held []Held
		}
		for i := len(msgs) - 1; i >= 0; i-- {
			view.Msgs = append(view.Msgs, Describe(msgs[i]))
		}
		s.mu.Lock()
		held := s.held
		s.mu.Unlock()
		if held != nil {
			view.Held = held()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, view)
	})
	get := func(w http.ResponseWriter, r *http.Request) (Message, bool) {
		n, err := strconv.Atoi(r.PathValue("n"))
		m, ok := s.Get(n)
		if err != nil || !ok {
			http.NotFound(w, r)
			return m, false
		}
		return m, true
	}
	mux.HandleFunc("GET /message/{n}", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := get(w, r); ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			one.Execute(w, m)
		}
	})
	mux.HandleFunc("GET /message/{n}/raw", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := get(w, r); ok {
			w.Header().Set("Content-Type", "message/rfc822")
			w.Write(m.Data)
		}
	})
	return mux
}
