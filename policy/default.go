package policy

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
)

// defaultPolicy is testdata/policy/default/default.yaml (a test keeps the
// two identical): the policy used when the configuration names none.
//
//go:embed default.yaml
var defaultPolicy []byte

// DefaultSet returns the shipped default policy. Its Hash equals that of
// loading testdata/policy/default/ (or a copy of default.yaml) from disk.
func DefaultSet() *Set {
	set, err := compile([]source{{name: "default.yaml", data: defaultPolicy}}, func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("the embedded default policy reads no files")}
	})
	if err != nil {
		// The embedded file is tested; reaching this is a build defect.
		panic(fmt.Sprintf("policy: embedded default policy is invalid: %v", err))
	}
	return set
}
