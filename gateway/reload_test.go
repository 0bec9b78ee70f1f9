package gateway

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sealgate/sealgate/internal/capture"
)

// sendFrom submits a message from a given loopback source address.
func sendFrom(localIP, addr, from, to, msg string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	return c.SendMail(from, []string{to}, strings.NewReader(msg))
}

func TestSIGHUPReloadsAndRefusesAnInvalidConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real daemon")
	}
	sink := startSink(t, "127.0.0.1:0")
	sinkAddr := sink.Addr()
	env := writeConfig(t, sinkAddr, "")
	d := startDaemon(t, env)
	msg := testMessage("a@clinic.test", "b@partner.test", "reload")
	err := sendFrom("127.0.0.2", env.Listen, "a@clinic.test", "b@partner.test", msg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("127.0.0.2 not refused with 554 5.7.1 before it was allowed: %v", err)
	}
	good, _ := os.ReadFile(env.CfgPath)
	logHas := func(s string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(filepath.Join(env.Dir, "daemon.log"))
			return strings.Contains(string(b), s)
		}
	}

	// A typo: refused, the old config keeps running.
	os.WriteFile(env.CfgPath, append(good, []byte("limits:\n  max_recipent: 10\n")...), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the reload refusal in the log", logHas("config reload refused"))
	if err := send(env.Listen, "a@clinic.test", []string{"b@partner.test"}, msg); err != nil {
		t.Fatalf("daemon stopped serving after a refused reload: %v", err)
	}

	// A valid change: 127.0.0.2 may now relay, on new connections.
	os.WriteFile(env.CfgPath, []byte(strings.Replace(string(good), "allow_ips: [127.0.0.1]", "allow_ips: [127.0.0.1, 127.0.0.2]", 1)), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the reload in the log", logHas(`"msg":"config reloaded"`))
	if err := sendFrom("127.0.0.2", env.Listen, "a@clinic.test", "b@partner.test", msg); err != nil {
		t.Fatalf("reloaded allow_ips not applied: %v", err)
	}
	if !sink.WaitFor(20*time.Second, func(ms []capture.Message) bool { return len(ms) == 2 }) {
		t.Fatalf("%d messages delivered, want 2", sink.Count())
	}
}
