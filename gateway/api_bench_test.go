package gateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/internal/capture"
)

// BenchmarkIngressSMTPvsAPI is the whole daemon on loopback (sealed spool,
// audit, policy scan, status index, a webhook endpoint) taking 10 KB
// messages from 20 concurrent clients three ways in the same run: SMTP
// with STARTTLS and one connection per client, the REST API with JSON
// over HTTPS keep-alive, and API batches of 100. msgs/s counts accepted
// messages (250 or 202); delivered/s counts copies at the next hop by the
// end. Run with -benchtime=2000x or so.
func BenchmarkIngressSMTPvsAPI(b *testing.B) {
	sink := startSink(b, "127.0.0.1:0")
	env := writeConfig(b, sink.Addr(), "")
	hooks := startHookReceiver(b, "127.0.0.1:0", env.Dir, "hook.secret")
	cfgText, _ := os.ReadFile(env.CfgPath)
	apiAddr := freeAddr(b)
	os.WriteFile(env.CfgPath, append(cfgText, []byte(apiConfig(b, apiAddr, hooks.url)+"limits:\n  max_connections_per_ip: 200\n")...), 0o600)
	tok, _ := newKey(b, env, "bench", "send")
	cfg, err := config.Load(env.CfgPath)
	if err != nil {
		b.Fatal(err)
	}
	cfg.API.Rate, cfg.API.Burst = 1e6, 1e6
	g, err := New(cfg, Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Stop(b.Context()) })
	pem, _ := os.ReadFile(filepath.Join(env.Dir, "relay.crt"))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	tlsCfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	body := strings.Repeat("The quarterly supply order is attached; deliveries arrive Tuesdays.\r\n", 148) // ~10 KB
	const clients = 20

	run := func(b *testing.B, name string, perItem int, work func(worker int, next <-chan int) error) {
		b.Run(name, func(b *testing.B) {
			start := sink.Count()
			next := make(chan int)
			var wg sync.WaitGroup
			var failed atomic.Int32
			b.ResetTimer()
			t0 := time.Now()
			for w := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := work(w, next); err != nil {
						failed.Add(1)
						b.Error(err)
						for range next { // let the producer finish
						}
					}
				}()
			}
			items := (b.N + perItem - 1) / perItem
			for i := range items {
				next <- i
			}
			close(next)
			wg.Wait()
			accepted := time.Since(t0).Seconds()
			msgs := items * perItem
			if failed.Load() > 0 {
				return
			}
			// The sink keeps the last messages only: count by sequence.
			if !sink.WaitFor(5*time.Minute, func(ms []capture.Message) bool { return len(ms) > 0 && ms[len(ms)-1].Seq >= start+msgs }) {
				b.Fatalf("%d of %d delivered", sink.Count()-start, msgs)
			}
			all := time.Since(t0).Seconds()
			b.ReportMetric(float64(msgs)/accepted, "msgs/s")
			b.ReportMetric(float64(msgs)/all, "delivered/s")
		})
	}

	run(b, "smtp-starttls-reuse", 1, func(w int, next <-chan int) error {
		c, err := smtp.DialStartTLS(env.Listen, tlsCfg)
		if err != nil {
			return err
		}
		defer c.Close()
		for i := range next {
			msg := fmt.Sprintf("From: <ops@clinic.test>\r\nTo: <supply@partner.test>\r\nSubject: order %d-%d\r\nMessage-ID: <b%d-%d@clinic.test>\r\n\r\n%s", w, i, w, i, body)
			if err := c.SendMail("ops@clinic.test", []string{"supply@partner.test"}, strings.NewReader(msg)); err != nil {
				return err
			}
		}
		return c.Quit()
	})

	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: clients}}
	post := func(path string, v any, want int) error {
		data, _ := json.Marshal(v)
		req, _ := http.NewRequest("POST", "https://"+apiAddr+path, strings.NewReader(string(data)))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body) // or the connection is not reused
		if resp.StatusCode != want {
			return fmt.Errorf("%s: %s", path, resp.Status)
		}
		return nil
	}
	item := func(w, i int) map[string]any {
		return map[string]any{"from": "ops@clinic.test", "to": []string{"supply@partner.test"},
			"subject": fmt.Sprintf("order %d-%d", w, i), "text": body}
	}
	run(b, "api-json", 1, func(w int, next <-chan int) error {
		for i := range next {
			if err := post("/v1/messages", item(w, i), http.StatusAccepted); err != nil {
				return err
			}
		}
		return nil
	})
	run(b, "api-batch-100", 100, func(w int, next <-chan int) error {
		for i := range next {
			batch := make([]map[string]any, 100)
			for j := range batch {
				batch[j] = item(w, i*100+j)
			}
			if err := post("/v1/messages/batch", map[string]any{"messages": batch}, http.StatusOK); err != nil {
				return err
			}
		}
		return nil
	})
}
