package config

import (
	"os"
	"testing"
)

// FuzzParse: any bytes give a config or an *Error, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../testdata/sealgate.yaml", "../testdata/config/bad/01-unknown-keys/sealgate.yaml",
		"../testdata/config/bad/02-bad-values/sealgate.yaml", "../testdata/config/bad/08-not-yaml/sealgate.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("listeners: [{name: a, tls: {mode: [1,2]}}]\nlimits: {max_message_size: -1}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err == nil && c == nil {
			t.Fatal("nil config without an error")
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
		}
	})
}
