package web

import (
	"crypto/rand"
	"crypto/tls"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the portal. Zero values take the defaults noted.
type Config struct {
	Messages Messages
	Mailer   Mailer
	Replies  Replies      // nil: no reply form
	Log      *slog.Logger // nil: discard
	OrgName  string       // shown in the page header; default "Secure message portal"
	// Key keys the CSRF tokens; nodes behind one name must share it.
	// Empty: 32 random bytes, fine for one process.
	Key []byte
	// CodeLife and CodeDigits only word the verify page: Messages makes
	// and checks the codes. Defaults: 10 minutes, 8 (the store's).
	CodeLife   time.Duration
	CodeDigits int
	// LockoutFor is the window of the per-IP limits; default 15 minutes.
	LockoutFor   time.Duration
	IdleTimeout  time.Duration // session idle limit; default 10 minutes
	MaxSession   time.Duration // session absolute limit; default 1 hour
	IPFailures   int           // failed attempts per IP per LockoutFor; default 20
	IPCodeSends  int           // code emails per IP per LockoutFor; default 10
	MaxBodyBytes int64         // body text shown before truncation; default 2 MiB
	// TOTP is the second factor policy; "" is TOTPOff.
	TOTP TOTPMode
	Now  func() time.Time
}

// Server is the portal's http.Handler.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	tmpl     *template.Template
	sessions *sessions
	ipFail   *limiter
	ipSend   *limiter
	seconds  *seconds // browsers between the email code and the TOTP
	log      *slog.Logger
}

// New checks cfg, fills its defaults and builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Messages == nil || cfg.Mailer == nil {
		return nil, errors.New("web: Messages and Mailer are required")
	}
	if err := withDefaults(&cfg); err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, tmpl: tmpl, log: cfg.Log,
		sessions: newSessions(cfg.IdleTimeout, cfg.MaxSession, cfg.Now),
		ipFail:   newLimiter(cfg.IPFailures, cfg.LockoutFor, cfg.Now),
		ipSend:   newLimiter(cfg.IPCodeSends, cfg.LockoutFor, cfg.Now),
		seconds:  newSeconds(cfg.CodeLife, cfg.Now),
	}
	s.routes()
	return s, nil
}

func withDefaults(c *Config) error {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.OrgName == "" {
		c.OrgName = "Secure message portal"
	}
	if len(c.Key) == 0 {
		c.Key = make([]byte, 32)
		if _, err := rand.Read(c.Key); err != nil {
			return err
		}
	}
	if len(c.Key) < 16 {
		return errors.New("web: Key shorter than 16 bytes")
	}
	if c.CodeDigits == 0 {
		c.CodeDigits = 8
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.CodeLife, 10*time.Minute)
	def(&c.LockoutFor, 15*time.Minute)
	def(&c.IdleTimeout, 10*time.Minute)
	def(&c.MaxSession, time.Hour)
	defInt := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	defInt(&c.IPFailures, 20)
	defInt(&c.IPCodeSends, 10)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 2 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	var err error
	c.TOTP, err = ParseTOTPMode(string(c.TOTP))
	return err
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	m.HandleFunc("GET /static/{name}", func(w http.ResponseWriter, r *http.Request) {
		// FileServer's own 404 drops Cache-Control; answer misses ourselves.
		if _, err := fs.Stat(static, r.PathValue("name")); err != nil {
			s.notFound(w)
			return
		}
		files.ServeHTTP(w, r)
	})
	m.HandleFunc("GET /m/{token}", s.landing)
	m.HandleFunc("POST /m/{token}/code", s.sendCode)
	m.HandleFunc("GET /m/{token}/verify", s.verifyForm)
	m.HandleFunc("POST /m/{token}/verify", s.verify)
	m.HandleFunc("GET /m/{token}/totp", s.totpForm)
	m.HandleFunc("POST /m/{token}/totp", s.checkTOTP)
	m.HandleFunc("GET /m/{token}/enrol", s.enrolForm)
	m.HandleFunc("GET /m/{token}/enrol/qr", s.enrolQR)
	m.HandleFunc("POST /m/{token}/enrol", s.enrol)
	m.HandleFunc("GET /v/enrol", s.viewEnrolForm)
	m.HandleFunc("GET /v/enrol/qr", s.viewEnrolQR)
	m.HandleFunc("POST /v/enrol", s.viewEnrol)
	m.HandleFunc("GET /v", s.view)
	m.HandleFunc("GET /v/print", s.print)
	m.HandleFunc("GET /v/att/{n}", s.attachment)
	m.HandleFunc("GET /v/reply", s.replyForm)
	m.HandleFunc("POST /v/reply", s.reply)
	m.HandleFunc("POST /v/logout", s.logout)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(w) })
	s.mux = m
}

// csp allows nothing but the portal's own stylesheet, its own images and
// forms posting back to it: no script at all.
const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP sets the security headers on every response, errors included.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	s.mux.ServeHTTP(w, r)
}

// HTTPServer wraps the portal in an http.Server for its HTTPS listener: TLS
// 1.2 at least, timeouts that bound slow clients, and net/http's own errors
// (TLS handshakes) to the portal's log. No WriteTimeout: downloads may be
// long; ReadTimeout and the client's idle limit bound the rest.
func (s *Server) HTTPServer(cert tls.Certificate) *http.Server {
	return &http.Server{
		Handler:           s,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
}
