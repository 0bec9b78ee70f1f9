package apikey

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTest(t *testing.T) (*Bolt, *clock) {
	t.Helper()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s.now = c.now
	return s, c
}

// dump is every stored value, to look for what must not be there.
func dump(t *testing.T, s *Bolt) string {
	t.Helper()
	var sb strings.Builder
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).ForEach(func(k, v []byte) error {
			sb.Write(k)
			sb.Write(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func TestTokenAuthenticatesAndSecretIsNotStored(t *testing.T) {
	s, _ := openTest(t)
	token, k, err := s.Create("ehr", []string{"send"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "sg_"+k.ID+"_") || len(token) < len("sg__")+16+52 {
		t.Fatalf("token %q is not sg_<id>_<secret> with ID %q", token, k.ID)
	}
	got, err := s.Authenticate(token)
	if err != nil || got.ID != k.ID || got.Name != "ehr" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	secret := token[len("sg_"+k.ID+"_"):]
	if strings.Contains(dump(t, s), secret) {
		t.Fatal("the secret is stored in clear")
	}
}

func TestWrongSecretMalformedAndUnknownAreUnknown(t *testing.T) {
	s, _ := openTest(t)
	token, _, err := s.Create("ehr", []string{"send"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := s.Create("crm", []string{"send"}, time.Time{})
	otherSecret := other[strings.LastIndex(other, "_")+1:]
	wrong := token[:strings.LastIndex(token, "_")+1] + otherSecret
	for name, tok := range map[string]string{
		"wrong secret":  wrong,
		"malformed":     "sg_nothing",
		"empty":         "",
		"no prefix":     strings.TrimPrefix(token, "sg_"),
		"unknown id":    "sg_aaaaaaaaaaaaaaaa_" + otherSecret,
		"trailing junk": token + "x",
	} {
		if _, err := s.Authenticate(tok); !errors.Is(err, ErrUnknown) {
			t.Errorf("%s: err = %v, want ErrUnknown", name, err)
		}
	}
}

func TestRevokedKeyIsRefusedAsRevoked(t *testing.T) {
	s, _ := openTest(t)
	token, k, _ := s.Create("ehr", []string{"read"}, time.Time{})
	if err := s.Revoke(k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(token); !errors.Is(err, ErrRevoked) {
		t.Fatalf("err = %v, want ErrRevoked", err)
	}
	if err := s.Revoke("nosuchid"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Revoke(unknown) = %v, want ErrUnknown", err)
	}
	keys, _ := s.List()
	if len(keys) != 1 || keys[0].Revoked.IsZero() {
		t.Fatalf("List = %+v, want the key marked revoked", keys)
	}
}

func TestExpiredKeyIsRefusedAsExpired(t *testing.T) {
	s, c := openTest(t)
	token, _, err := s.Create("ehr", []string{"send"}, c.now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(token); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	c.add(time.Hour)
	if _, err := s.Authenticate(token); !errors.Is(err, ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
}

func TestCreateRefusesBadRequests(t *testing.T) {
	s, c := openTest(t)
	for name, tc := range map[string]struct {
		name    string
		scopes  []string
		expires time.Time
	}{
		"no name":       {"", []string{"send"}, time.Time{}},
		"no scope":      {"x", nil, time.Time{}},
		"unknown scope": {"x", []string{"root"}, time.Time{}},
		"past expiry":   {"x", []string{"send"}, c.now().Add(-time.Second)},
		"control char":  {"a\nb", []string{"send"}, time.Time{}},
	} {
		if _, _, err := s.Create(tc.name, tc.scopes, tc.expires); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestAdminImpliesReadButNothingImpliesSend(t *testing.T) {
	admin := Key{Scopes: []string{ScopeAdmin}}
	if !admin.Allows(ScopeRead) || !admin.Allows(ScopeAdmin) || admin.Allows(ScopeSend) {
		t.Errorf("admin: read %v admin %v send %v", admin.Allows(ScopeRead), admin.Allows(ScopeAdmin), admin.Allows(ScopeSend))
	}
	send := Key{Scopes: []string{ScopeSend}}
	if send.Allows(ScopeRead) || !send.Allows(ScopeSend) {
		t.Error("send must allow send and not read")
	}
}

func TestLastUsedIsRecordedAtMostOncePerMinute(t *testing.T) {
	s, c := openTest(t)
	token, k, _ := s.Create("ehr", []string{"send"}, time.Time{})
	first := c.now()
	s.Authenticate(token)
	c.add(10 * time.Second)
	s.Authenticate(token)
	keys, _ := s.List()
	if !keys[0].LastUsed.Equal(first) {
		t.Fatalf("LastUsed = %v, want %v (no write within a minute)", keys[0].LastUsed, first)
	}
	c.add(time.Minute)
	s.Authenticate(token)
	keys, _ = s.List()
	if !keys[0].LastUsed.Equal(c.now()) || keys[0].ID != k.ID {
		t.Fatalf("LastUsed = %v, want %v", keys[0].LastUsed, c.now())
	}
}

func TestKeysSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	token, _, _ := s.Create("ehr", []string{"send", "read", "send"}, time.Time{})
	s.Close()
	s, err = OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k, err := s.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(k.Scopes, ",") != "read,send" {
		t.Fatalf("scopes = %v, want [read send] (sorted, deduplicated)", k.Scopes)
	}
}
