package tlspolicy

import (
	"testing"

	"github.com/sealgate/sealgate/internal/tlslevel"
)

// The relay names destinations by their A-label; an admin entry written in
// either form applies. Before, "bücher.example: verify" never matched mail for
// xn--bcher-kva.example, which then went at the default level.
func TestAdminEntriesMatchInEitherIDNForm(t *testing.T) {
	p := New(Config{Default: tlslevel.May, Admin: map[string]tlslevel.Level{
		"Bücher.example": tlslevel.Verify, ".café.example": tlslevel.Encrypt, "xn--mnchen-3ya.example": tlslevel.DANE,
	}})
	for domain, want := range map[string]tlslevel.Level{
		"xn--bcher-kva.example":  tlslevel.Verify,
		"mx.xn--caf-dma.example": tlslevel.Encrypt,
		"xn--mnchen-3ya.example": tlslevel.DANE,
		"plain.example":          tlslevel.May,
	} {
		if got := p.LevelFor(domain); got != want {
			t.Errorf("%s: %s, want %s", domain, got, want)
		}
	}
}
