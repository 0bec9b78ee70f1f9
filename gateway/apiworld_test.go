package gateway

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/api/apikey"
	"github.com/sealgate/sealgate/gateway/control"
	"github.com/sealgate/sealgate/gateway/webhook"
)

// hookReceiver is a webhook endpoint on 127.0.0.1 that verifies every
// signature, answers 503 while down, and keeps each event once (by
// webhook-id) in the order it first arrived.
type hookReceiver struct {
	srv     *http.Server
	url     string
	secrets [][]byte

	mu     sync.Mutex
	down   bool
	bad    int // deliveries whose signature did not verify
	seen   map[string]bool
	events []hookEvent
	posts  int
}

type hookEvent struct {
	ID   string
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
	data struct {
		MsgID     string            `json:"msg_id"`
		Recipient string            `json:"recipient"`
		Method    string            `json:"method"`
		Status    string            `json:"status"`
		Tags      []string          `json:"tags"`
		Metadata  map[string]string `json:"metadata"`
		TLS       *struct {
			Version  string `json:"version"`
			Verified bool   `json:"verified"`
		} `json:"tls"`
	}
}

// startHookReceiver listens on addr ("127.0.0.1:0" for any port) with a
// fresh secret, written to dir/name for the config.
func startHookReceiver(t testing.TB, addr, dir, name string) *hookReceiver {
	t.Helper()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, _ := webhook.ParseSecret(secret)
	h := &hookReceiver{secrets: [][]byte{key}, seen: map[string]bool{}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	h.url = "http://" + ln.Addr().String() + "/hooks"
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve)}
	go h.srv.Serve(ln)
	t.Cleanup(func() { h.srv.Close() })
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.posts++
	if h.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := webhook.Verify(h.secrets, r.Header, body, 5*time.Minute, time.Now()); err != nil {
		h.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get("webhook-id")
	if !h.seen[id] {
		var ev hookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			h.bad++
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		json.Unmarshal(ev.Data, &ev.data)
		ev.ID = id
		h.seen[id] = true
		h.events = append(h.events, ev)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) setDown(down bool) {
	h.mu.Lock()
	h.down = down
	h.mu.Unlock()
}

func (h *hookReceiver) snapshot() []hookEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookEvent(nil), h.events...)
}

// types lists the event types of msgID in arrival order, with the recipient.
func (h *hookReceiver) types(msgID string) []string {
	var out []string
	for _, e := range h.snapshot() {
		if e.data.MsgID == msgID {
			s := e.Type
			if e.data.Recipient != "" {
				s += " " + e.data.Recipient
			}
			out = append(out, s)
		}
	}
	return out
}

// apiConfig is the config text that turns on the API on a free port and
// a webhook endpoint for every event.
func apiConfig(t testing.TB, apiAddr, hookURL string) string {
	return fmt.Sprintf(`api:
  enabled: true
  listen: %s
  cert_file: relay.crt
  key_file: relay.key
webhooks:
  allow_loopback_http: true
  retry_min: 200ms
  retry_max: 1s
  endpoints:
    - id: ehr
      url: %s
      events: ["*"]
      secret_file: hook.secret
`, apiAddr, hookURL)
}

// apiClient calls the API with one key.
type apiClient struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client
}

func (w *portalWorld) apiClient(t testing.TB, token string) *apiClient {
	_, port, _ := net.SplitHostPort(w.g.APIAddr())
	return &apiClient{t: t, base: "https://localhost:" + port, token: token,
		hc: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: w.roots}}}}
}

// do sends one request and returns the status, the headers and the body.
func (c *apiClient) do(method, path, ctype string, body []byte, hdr ...string) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

func (c *apiClient) json(method, path string, v any, hdr ...string) (int, http.Header, []byte) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(method, path, "application/json", b, hdr...)
}

// newKey makes an API key in the daemon's store before it starts.
func newKey(t testing.TB, env *testEnv, name string, scopes ...string) (token, id string) {
	t.Helper()
	os.MkdirAll(filepath.Join(env.Dir, "data"), 0o700)
	s, err := apikey.OpenBolt(APIKeysPath(filepath.Join(env.Dir, "data")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := APIKeyCommand(s, control.Request{Op: "apikey-create", Name: name, Scopes: scopes}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := v.(NewAPIKey)
	return k.Token, k.Key.ID
}

// sortedMethods renders a send's per-recipient methods as "addr=method".
func sortedMethods(rs []struct{ Address, Method string }) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Address+"="+r.Method)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
