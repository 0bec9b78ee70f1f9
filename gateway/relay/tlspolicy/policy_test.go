package tlspolicy

import (
	"context"
	"crypto/tls"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

func TestLevelForMostSpecificWins(t *testing.T) {
	p := New(Config{Default: tlslevel.May, Admin: map[string]tlslevel.Level{
		".example.org": tlslevel.Encrypt, ".mail.example.org": tlslevel.None, "example.org": tlslevel.Verify}})
	for d, want := range map[string]tlslevel.Level{"example.org": "verify", "a.example.org": "encrypt", "x.mail.example.org": "none", "other.test": "may"} {
		if got := p.LevelFor(d); got != want {
			t.Errorf("LevelFor(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestFloorsOnlyRaise(t *testing.T) {
	p := New(Config{Default: tlslevel.May, Admin: map[string]tlslevel.Level{"v.test": tlslevel.Verify}})
	cases := []struct {
		domain string
		want   Want
		level  tlslevel.Level
	}{
		{"m.test", Want{}, tlslevel.May},
		{"m.test", Want{Floor: tlslevel.Encrypt}, tlslevel.Encrypt},
		{"m.test", Want{RequireTLS: true}, tlslevel.Verify},
		{"v.test", Want{Floor: tlslevel.Encrypt}, tlslevel.Verify},
		{"v.test", Want{TLSRequiredNo: true}, tlslevel.Verify}, // not honoured by this config
	}
	for _, c := range cases {
		dp, f := p.ForDomain(context.Background(), c.domain, c.want)
		if f != nil {
			t.Fatalf("%s %+v: %+v", c.domain, c.want, f)
		}
		pl, f := p.ForHost(context.Background(), dp, "mx."+c.domain)
		if f != nil || pl.Level != c.level {
			t.Errorf("%s %+v: level %q (%v), want %q", c.domain, c.want, pl.Level, f, c.level)
		}
	}
}

func TestTLSRequiredNoRelaxesOnlyWithoutFloor(t *testing.T) {
	p := New(Config{Default: tlslevel.Verify, HonorTLSRequiredNo: true})
	dp, _ := p.ForDomain(context.Background(), "x.test", Want{TLSRequiredNo: true})
	if pl, _ := p.ForHost(context.Background(), dp, "mx.x.test"); pl.Level != tlslevel.May {
		t.Errorf("relaxed level = %q, want may", pl.Level)
	}
	dp, _ = p.ForDomain(context.Background(), "x.test", Want{TLSRequiredNo: true, Floor: tlslevel.Encrypt})
	if pl, _ := p.ForHost(context.Background(), dp, "mx.x.test"); pl.Level != tlslevel.Verify {
		t.Errorf("level with a floor = %q, want verify", pl.Level)
	}
}

func TestMTASTSLevelWithoutClientFailsAndCounts(t *testing.T) {
	var counted []string
	p := New(Config{Default: tlslevel.MTASTS, Count: func(d, typ string) { counted = append(counted, d+" "+typ) }})
	_, f := p.ForDomain(context.Background(), "s.test", Want{})
	if f == nil || f.Type != FailSTSFetch {
		t.Fatalf("failure = %+v, want %s", f, FailSTSFetch)
	}
	if len(counted) != 1 || counted[0] != "s.test "+FailSTSFetch {
		t.Errorf("counted %v", counted)
	}
}

func TestCanVerifyProbesOnceAndCaches(t *testing.T) {
	probes := 0
	p := New(Config{Default: tlslevel.May,
		LookupMX: func(context.Context, string) ([]string, bool, bool, error) {
			return []string{"mx.p.test"}, false, false, nil
		},
		Probe: func(context.Context, string) bool { probes++; return true }})
	for range 2 {
		ok, how, err := p.CanVerify(context.Background(), "p.test")
		if !ok || how != "probe" || err != nil {
			t.Fatalf("CanVerify = %v %q %v", ok, how, err)
		}
	}
	if probes != 1 {
		t.Errorf("%d probes, want 1 (cached)", probes)
	}
	if st := p.State("P.test."); st.Capability == nil || !st.Capability.OK {
		t.Errorf("State: %+v", st)
	}
}

func TestCanVerifyPermanentMXFailureIsNoNotError(t *testing.T) {
	p := New(Config{Default: tlslevel.May,
		LookupMX: func(context.Context, string) ([]string, bool, bool, error) {
			return nil, false, true, errors.New("nxdomain")
		}})
	if ok, _, err := p.CanVerify(context.Background(), "gone.test"); ok || err != nil {
		t.Errorf("CanVerify = %v, %v; want false, nil", ok, err)
	}
}

func TestMemoryBindsAndDowngradeTurnsAnswerFalse(t *testing.T) {
	mem, err := OpenMemory(filepath.Join(t.TempDir(), "mem.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := New(Config{Default: tlslevel.May, Memory: mem, MemoryWindow: time.Hour, Now: func() time.Time { return now }})
	if err := p.Remember("d.test", "verified", tls.VersionTLS13); err != nil {
		t.Fatal(err)
	}
	dp, _ := p.ForDomain(context.Background(), "d.test", Want{})
	pl, _ := p.ForHost(context.Background(), dp, "mx.d.test")
	if pl.Level != tlslevel.Verify || !pl.Memory || pl.MinVersion != tls.VersionTLS13 {
		t.Errorf("plan under memory: %+v", pl)
	}
	if ok, how, _ := p.CanVerify(context.Background(), "d.test"); !ok || how != "memory" {
		t.Errorf("CanVerify = %v %q, want true memory", ok, how)
	}
	if err := p.Downgraded("d.test"); err != nil {
		t.Fatal(err)
	}
	if ok, how, _ := p.CanVerify(context.Background(), "d.test"); ok || how != "memory" {
		t.Errorf("after a downgrade CanVerify = %v %q, want false memory", ok, how)
	}
	if existed, err := p.ResetMemory("d.test"); !existed || err != nil {
		t.Errorf("ResetMemory = %v, %v", existed, err)
	}
	if _, err := New(Config{Default: tlslevel.May}).ResetMemory("d.test"); !errors.Is(err, ErrNoMemory) {
		t.Errorf("ResetMemory without memory: %v", err)
	}
}
