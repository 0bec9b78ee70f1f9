package policy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealgate/sealgate/envelope"
)

// TestGoldenPolicyDecisions runs every testdata/policy/NN-name.eml against
// NN-name.yaml and compares the `sealgate policy test` text output with
// NN-name.expected. On a mismatch it writes NN-name.got beside them; set
// SEALGATE_UPDATE_GOLDEN=1 to rewrite the expected files. A first line
// "# args: --from A --to B --listener L --auth-user U" in the yaml sets the
// envelope as the CLI flags would.
func TestGoldenPolicyDecisions(t *testing.T) {
	const dir = "../testdata/policy"
	emls, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.eml"))
	if err != nil || len(emls) < 12 {
		t.Fatalf("want at least 12 golden cases, found %d (%v)", len(emls), err)
	}
	update := os.Getenv("SEALGATE_UPDATE_GOLDEN") == "1"
	for _, eml := range emls {
		base := strings.TrimSuffix(eml, ".eml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			msg, err := os.ReadFile(eml)
			if err != nil {
				t.Fatal(err)
			}
			set, err := Load(base + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			eng, err := NewEngine(set)
			if err != nil {
				t.Fatal(err)
			}
			env := EnvelopeFromHeaders(msg)
			applyArgs(t, base+".yaml", env)
			rep, err := eng.Explain(context.Background(), Input{Env: env, Body: bytes.NewReader(msg)})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := rep.WriteText(&got); err != nil {
				t.Fatal(err)
			}
			if update {
				if err := os.WriteFile(base+".expected", got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(base + ".expected")
			if err != nil {
				t.Fatalf("%v (SEALGATE_UPDATE_GOLDEN=1 writes it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				_ = os.WriteFile(base+".got", got.Bytes(), 0o644)
				t.Errorf("output differs from %s.expected; see %s.got", filepath.Base(base), filepath.Base(base))
			} else {
				_ = os.Remove(base + ".got")
			}
		})
	}
}

func applyArgs(t *testing.T, yamlFile string, env *envelope.Envelope) {
	data, err := os.ReadFile(yamlFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	args, ok := strings.CutPrefix(first, "# args:")
	if !ok {
		return
	}
	f := strings.Fields(args)
	for i := 0; i+1 < len(f); i += 2 {
		switch f[i] {
		case "--from":
			env.From = f[i+1]
		case "--to":
			env.Recipients = append(env.Recipients[:0:0], envelope.Recipient{Addr: f[i+1]})
		case "--listener":
			env.Listener = f[i+1]
		case "--auth-user":
			env.AuthUser = f[i+1]
		default:
			t.Fatalf("unknown golden arg %q", f[i])
		}
	}
}
