package mtasts

import (
	"path/filepath"
	"testing"
	"time"
)

func TestFileCacheKeepsPoliciesAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mta-sts.db")
	c, err := OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{Version: "STSv1", Mode: ModeEnforce, MX: []string{"*.example.test"}, MaxAge: 24 * time.Hour, ID: "abc", Fetched: time.Now().UTC().Truncate(time.Second)}
	c.Put("example.test", want)
	c.Close()
	c2, err := OpenFileCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got, ok := c2.Get("example.test")
	if !ok || got.ID != "abc" || got.Mode != ModeEnforce || !got.MatchMX("mx1.example.test") || !got.Fetched.Equal(want.Fetched) {
		t.Fatalf("after reopen: %+v %v", got, ok)
	}
	if _, ok := c2.Get("other.test"); ok {
		t.Fatal("unknown domain found")
	}
}
